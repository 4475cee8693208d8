"""Whether a re-fetched article changed, what changed, and a word-level diff between two versions.

The comparison is on the extracted text (normalised: NFC, single spaces, one blank line between paragraphs) and
the title, never on the HTML: a new "related stories" list, a ticker or an ad changes the page's bytes but not
its extracted text, so it makes no version.

A correction or update notice is found by structure first, so it works in any language: a short paragraph that
is new (not an edit of an old one) at the start or the end of the text is how newsrooms append "Correction: …"
or prepend "Update: …". A list of phrases in several languages only adds a signal (and catches a notice
written into the middle of the text); it never is the only way to find one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pipelines.extract.textnorm import CJK, normalize_text, words

EDITED_RATIO = 0.5  # a removed and an added paragraph this similar (difflib ratio) are one edited paragraph
NOTICE_MAX_WORDS = 60  # a notice is short; longer new paragraphs at the end are new reporting
NOTICE_MAX_CHARS = 240  # the same for scripts without spaces between words
# Bounds on the quadratic parts (difflib), so a hostile or huge page costs the crawl little: a replaced block
# with more pairs than this, or a paragraph longer than that, is counted as removed and added, not paired.
MAX_PAIRS = 2500
MAX_PAIRED_CHARS = 20_000
MAX_DIFFED_CHARS = 100_000  # word diffs of longer strings show them as removed and added whole
# Lower-case; matched as substrings of the lower-cased paragraph. Only ever adds a signal (see module docstring).
NOTICE_PHRASES = (
    "correction", "corrected", "clarification", "an earlier version of this", "editor's note", "editor’s note",
    "update:", "updated:", "this article has been updated", "this story has been updated",
    "corrección", "rectificación", "fe de errores", "fe de erratas", "actualización", "aclaración",  # es
    "rectificatif", "correctif", "mise à jour", "erratum", "précision",  # fr
    "korrektur", "berichtigung", "richtigstellung", "aktualisiert", "aktualisierung", "anmerkung der redaktion",  # de
    "correzione", "rettifica", "aggiornamento", "errata corrige",  # it
    "correção", "retificação", "atualização", "errata", "nota da redação",  # pt
    "rectificatie", "correctie", "bijgewerkt",  # nl
    "rättelse", "rettelse", "korrigering", "oppdatert", "uppdaterad", "oikaisu", "päivitetty",  # nordic
    "sprostowanie", "oprava", "aktualizace", "helyesbítés", "düzeltme", "güncelleme",  # pl cs hu tr
    "исправление", "уточнение", "обновлено", "виправлення", "оновлено",  # ru uk
    "تصحيح", "توضيح", "תיקון", "संशोधन", "सुधार",  # ar he hi
    "更正", "订正", "訂正", "修正", "更新", "정정", "바로잡습니다", "koreksi", "ralat", "pembetulan", "đính chính",
)
_TOKEN = re.compile(r"\s+|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|\w+|[^\w\s]", re.UNICODE)


def paragraphs(text: str) -> list[str]:
    """The normalised paragraphs of an extracted text."""
    return [p for p in normalize_text(text or "").split("\n\n") if p]


def is_short(paragraph: str) -> bool:
    if CJK.search(paragraph):
        return len(paragraph) <= NOTICE_MAX_CHARS
    return len(words(paragraph)) <= NOTICE_MAX_WORDS


def phrases_in(paragraph: str) -> list[str]:
    lowered = paragraph.lower()
    return [phrase for phrase in NOTICE_PHRASES if phrase in lowered]


@dataclass
class Changes:
    """What changed between two versions of an article (the record's `changes`)."""

    title_changed: bool = False
    added: list[tuple[int, str]] = field(default_factory=list)  # (index in the new text, paragraph)
    removed: list[str] = field(default_factory=list)
    edited: list[tuple[str, str]] = field(default_factory=list)  # (old, new)
    new_count: int = 0  # paragraphs in the new text

    def notice(self) -> dict[str, Any] | None:
        """The correction or update notice the new version carries, if one is detected (see module docstring)."""
        for index, paragraph in self.added:
            position = "start" if index == 0 else "end" if index == self.new_count - 1 else "inside"
            signals = [f"new-short-paragraph-at-{position}"] if position != "inside" and is_short(paragraph) else []
            signals += [f"phrase:{phrase}" for phrase in phrases_in(paragraph)]
            if signals:
                return {"text": paragraph, "position": position, "signals": signals}
        for old, new in self.edited:
            added_phrases = [p for p in phrases_in(new) if p not in old.lower()]
            if added_phrases:
                return {"text": new, "position": "edited", "signals": [f"phrase:{p}" for p in added_phrases]}
        return None

    def as_dict(self) -> dict[str, Any]:
        """The record's `changes` object (schema.json)."""
        return {
            "title_changed": self.title_changed,
            "paragraphs_added": len(self.added),
            "paragraphs_removed": len(self.removed),
            "paragraphs_edited": len(self.edited),
            "notice": self.notice(),
        }


def _pair_edits(old: list[str], new: list[tuple[int, str]], changes: Changes) -> None:
    """A replaced block: pair each old paragraph with the most similar unpaired new one (edited), the rest are
    removed and added."""
    if len(old) * len(new) > MAX_PAIRS:
        changes.removed.extend(old)
        changes.added.extend(new)
        return
    unpaired = list(new)
    for before in old:
        best = max(((_similarity(before, after), i) for i, (_, after) in enumerate(unpaired)), default=(0.0, -1))
        if best[0] >= EDITED_RATIO:
            changes.edited.append((before, unpaired.pop(best[1])[1]))
        else:
            changes.removed.append(before)
    changes.added.extend(unpaired)


def _similarity(before: str, after: str) -> float:
    if max(len(before), len(after)) > MAX_PAIRED_CHARS:
        return 0.0
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    if matcher.real_quick_ratio() < EDITED_RATIO or matcher.quick_ratio() < EDITED_RATIO:
        return 0.0
    return matcher.ratio()


def compare(old_title: str, old_text: str, new_title: str, new_text: str) -> Changes | None:
    """None when the extracted title and text are the same (after normalisation), else what changed."""
    before, after = paragraphs(old_text), paragraphs(new_text)
    title_changed = normalize_text(old_title or "") != normalize_text(new_title or "")
    if before == after and not title_changed:
        return None
    changes = Changes(title_changed=title_changed, new_count=len(after))
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "delete":
            changes.removed.extend(before[i1:i2])
        elif op == "insert":
            changes.added.extend((j, after[j]) for j in range(j1, j2))
        elif op == "replace":
            _pair_edits(before[i1:i2], [(j, after[j]) for j in range(j1, j2)], changes)
    return changes


# -- the diff `history` prints --------------------------------------------------------------------------------

def word_ops(old: str, new: str) -> list[tuple[str, str]]:
    """A word-level diff of two strings: ("equal" | "delete" | "insert", text), whitespace kept; scripts without
    spaces are compared character by character."""
    if max(len(old), len(new)) > MAX_DIFFED_CHARS:
        return [op for op in (("delete", old), ("insert", new)) if op[1]]
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    ops: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("equal", "delete", "replace"):
            ops.append(("equal" if op == "equal" else "delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            ops.append(("insert", "".join(b[j1:j2])))
    return ops


def text_diff(old_title: str, old_text: str, new_title: str, new_text: str) -> dict[str, Any]:
    """The diff between two versions as data (`history --json`): the title's word ops, and per paragraph of the
    texts an op: equal (a count), edit (word ops), insert or delete (the paragraph)."""
    before, after = paragraphs(old_text), paragraphs(new_text)
    blocks: list[dict[str, Any]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            blocks.append({"op": "equal", "paragraphs": i2 - i1})
            continue
        changes = Changes()
        if op == "replace":
            _pair_edits(before[i1:i2], [(j, after[j]) for j in range(j1, j2)], changes)
        else:
            changes.removed, changes.added = before[i1:i2], [(j, after[j]) for j in range(j1, j2)]
        blocks += [{"op": "delete", "text": text} for text in changes.removed]
        blocks += [{"op": "edit", "words": word_ops(old, new)} for old, new in changes.edited]
        blocks += [{"op": "insert", "text": text} for _, text in changes.added]
    title = word_ops(old_title or "", new_title or "") if (old_title or "") != (new_title or "") else None
    return {"title": title, "paragraphs": blocks}


def render_diff(diff: dict[str, Any]) -> Iterator[str]:
    """The diff for a terminal, as `git diff --word-diff=plain` writes it: [-removed-] and {+added+}."""
    def inline(ops: list[list[str]] | list[tuple[str, str]]) -> str:
        marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
        return "".join(marks[op].format(text) for op, text in ops)

    if diff["title"]:
        yield "title: " + inline(diff["title"])
    for block in diff["paragraphs"]:
        if block["op"] == "equal":
            yield f"  … {block['paragraphs']} paragraph(s) unchanged"
        elif block["op"] == "edit":
            yield "~ " + inline(block["words"])
        elif block["op"] == "insert":
            yield "+ {+" + block["text"] + "+}"
        else:
            yield "- [-" + block["text"] + "-]"
