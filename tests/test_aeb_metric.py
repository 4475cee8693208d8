"""The AEB metric as the corpus README defines it: shingles, per-page counts, corpus means."""

import pytest

from bench.aeb_metric import PageScore, score_page, shingles, summarize, tokens


def test_tokens_are_unicode_words_case_kept() -> None:
    assert tokens("Ça va, Müller? 3 times—yes.") == ["Ça", "va", "Müller", "3", "times", "yes"]


def test_shingles_overlap_and_count_repeats() -> None:
    assert shingles(tokens("a b c d e")) == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles(tokens("a b c d a b c d"))[("a", "b", "c", "d")] == 2


def test_short_and_empty_texts() -> None:
    assert shingles(["a", "b"]) == {("a", "b"): 1}
    assert shingles([]) == {}


def test_perfect_and_partial_pages() -> None:
    assert score_page("one two three four five", "one two three four five") == PageScore(2, 0, 0, True)
    partial = score_page("a b c d e f", "a b c d x")
    assert (partial.tp, partial.fp, partial.fn) == (1, 1, 2)
    assert partial.precision == pytest.approx(0.5)
    assert partial.recall == pytest.approx(1 / 3)


def test_empty_prediction_costs_recall_only() -> None:
    scores = [score_page("a b c d e", "a b c d e"), score_page("a b c d e", "")]
    summary = summarize(scores)
    assert summary.precision == 1.0
    assert summary.recall == pytest.approx(0.5)
    assert summary.f1 == pytest.approx(2 * 0.5 / 1.5)
    assert summary.accuracy == pytest.approx(0.5)


def test_f1_is_of_the_means_not_the_mean_of_f1() -> None:
    scores = [PageScore(tp=1, fp=1, fn=0, exact=False), PageScore(tp=1, fp=0, fn=3, exact=False)]
    summary = summarize(scores)
    assert summary.precision == pytest.approx(0.75)
    assert summary.recall == pytest.approx(0.625)
    assert summary.f1 == pytest.approx(2 * 0.75 * 0.625 / (0.75 + 0.625))
