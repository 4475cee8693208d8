"""What counts as a change between two versions of an article, the `changes` summary, the word diff, durations."""

from datetime import timedelta

import pytest

from pipelines.records.versions import compare, render_diff, text_diff, word_ops
from pipelines.times import parse_duration, parse_schedule

BODY = ["The council met on Monday to debate the harbour wall, which storms damaged twice this winter.",
        "Members said the repairs would cost 4 million pounds, more than the budget set aside in the spring.",
        "Residents asked for a public consultation before any work begins on the seafront."]


def text(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def test_same_text_after_normalisation_is_no_change() -> None:
    spaced = "\n\n\n".join("  " + p.replace(" ", "\u00a0 ") + " " for p in BODY)
    assert compare("Harbour wall", text(BODY), " Harbour  wall ", spaced) is None


def test_headline_correction_and_appended_note_are_summarised() -> None:
    corrected = [BODY[0], BODY[1].replace("4 million", "14 million"), BODY[2],
                 "Correction: an earlier version of this article gave the cost as 4 million pounds."]
    changes = compare("Harbour wall debate", text(BODY), "Harbour wall repairs to cost 14m", text(corrected))
    assert changes is not None
    summary = changes.as_dict()
    assert summary["title_changed"] is True
    assert (summary["paragraphs_added"], summary["paragraphs_removed"], summary["paragraphs_edited"]) == (1, 0, 1)
    notice = summary["notice"]
    assert notice["position"] == "end" and notice["text"].startswith("Correction:")
    assert "new-short-paragraph-at-end" in notice["signals"] and "phrase:correction" in notice["signals"]


@pytest.mark.parametrize("note", [
    "Nota de la redacción: se ha corregido la cifra del coste de las obras.",  # es, no listed phrase in it
    "編集部注：工事費の数字を訂正しました。",  # ja
    "Примечание редакции: цифра стоимости была уточнена.",  # ru
])
def test_a_new_short_paragraph_at_the_start_is_a_notice_in_any_language(note: str) -> None:
    changes = compare("t", text(BODY), "t", text([note, *BODY]))
    assert changes is not None
    notice = changes.as_dict()["notice"]
    assert notice is not None and notice["position"] == "start"
    assert "new-short-paragraph-at-start" in notice["signals"]


def test_a_long_new_paragraph_in_the_middle_is_no_notice() -> None:
    added = "The engineers' report, published on Tuesday, " + "describes the damage to each section " * 10 + "."
    changes = compare("t", text(BODY), "t", text([BODY[0], added, BODY[1], BODY[2]]))
    assert changes is not None
    assert changes.as_dict() == {"title_changed": False, "paragraphs_added": 1, "paragraphs_removed": 0,
                                 "paragraphs_edited": 0, "notice": None}


def test_removed_and_rewritten_paragraphs_are_told_apart() -> None:
    rewritten = "Nothing about this sentence resembles what it replaced, so it counts as new text entirely."
    edited = BODY[1].replace("more than", "far more than")
    changes = compare("t", text(BODY), "t", text([BODY[0], edited, rewritten]))
    assert changes is not None
    summary = changes.as_dict()
    assert (summary["paragraphs_added"], summary["paragraphs_removed"], summary["paragraphs_edited"]) == (1, 1, 1)
    assert changes.edited == [(BODY[1], edited)] and changes.removed == [BODY[2]]


def test_word_diff_marks_only_the_changed_words() -> None:
    ops = word_ops(BODY[1], BODY[1].replace("4 million", "14 million"))
    assert [op for op in ops if op[0] != "equal"] == [("delete", "4"), ("insert", "14")]
    diff = text_diff("Harbour wall", text(BODY), "Harbour wall repairs", text([BODY[0], BODY[1].replace("4", "14"),
                                                                              BODY[2], "Correction: the cost."]))
    lines = list(render_diff(diff))
    assert lines[0] == "title: Harbour wall{+ repairs+}"
    assert "  … 1 paragraph(s) unchanged" in lines
    assert any(line.startswith("~ ") and "[-4-]{+14+}" in line for line in lines)
    assert lines[-1] == "+ {+Correction: the cost.+}"


def test_cjk_text_is_diffed_by_character() -> None:
    ops = word_ops("市议会周一开会。", "市议会周二开会。")
    assert [op for op in ops if op[0] != "equal"] == [("delete", "一"), ("insert", "二")]


def test_huge_texts_skip_the_quadratic_pairing() -> None:
    """Past the bounds, paragraphs are counted as removed and added instead of paired (difflib is quadratic)."""
    many = [f"Paragraph number {n} of a page that never ends." for n in range(3000)]
    changes = compare("t", text(many), "t", text([p.replace("number", "No.") for p in many]))
    assert changes is not None and len(changes.removed) == len(changes.added) == 3000
    giant = "word " * 400_000
    assert compare("t", giant, "t", giant + "more") is not None
    assert word_ops(giant, giant + "more") == [("delete", giant), ("insert", giant + "more")]


def test_durations_and_schedules() -> None:
    assert [parse_duration(d) for d in ("30s", "15m", "1h", "2d")] == [
        timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=1), timedelta(days=2)]
    assert parse_schedule(["1h", "6h", "24h", "72h"])[-1] == timedelta(hours=72)
    for bad in ("1w", "h", "0h", "-1h", 5, "1.5h"):
        with pytest.raises(ValueError, match="bad duration"):
            parse_duration(bad)
    with pytest.raises(ValueError, match="must grow"):
        parse_schedule(["6h", "1h"])
    with pytest.raises(ValueError, match="expected a list"):
        parse_schedule("1h")
