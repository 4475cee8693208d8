"""The article-extraction-benchmark (AEB) body metric: 4-token shingle overlap, averaged per page.

Reimplemented from /work/shared/corpora/README.md so the benchmark and the tests score text the same
way the published AEB numbers do (precision averaged over non-empty predictions, recall over all pages,
F1 of the two means).
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE = 4


def tokens(text: str) -> list[str]:
    """Unicode `\\w+` tokens, case kept (the metric is case-sensitive)."""
    return _TOKEN.findall(text or "")


def shingles(words: list[str]) -> Counter[tuple[str, ...]]:
    """Multiset of overlapping 4-token tuples; a short non-empty text is one shingle of all its tokens."""
    if not words:
        return Counter()
    if len(words) < SHINGLE:
        return Counter([tuple(words)])
    return Counter(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


@dataclass(frozen=True)
class PageScore:
    """One page: shingle counts and whether the token lists match exactly."""

    tp: int
    fp: int
    fn: int
    exact: bool

    @property
    def precision(self) -> float:
        return 1.0 if self.fp == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        return 1.0 if self.fn == 0 else self.tp / (self.tp + self.fn)

    @property
    def predicted_anything(self) -> bool:
        return self.tp + self.fp > 0


def score_page(truth: str, prediction: str) -> PageScore:
    """Compare one prediction with its ground truth."""
    true_tokens, pred_tokens = tokens(truth), tokens(prediction)
    true_sh, pred_sh = shingles(true_tokens), shingles(pred_tokens)
    tp = sum((true_sh & pred_sh).values())
    return PageScore(
        tp=tp,
        fp=sum(pred_sh.values()) - tp,
        fn=sum(true_sh.values()) - tp,
        exact=true_tokens == pred_tokens,
    )


@dataclass(frozen=True)
class Summary:
    """Corpus-level figures as AEB reports them."""

    f1: float
    precision: float
    recall: float
    accuracy: float
    pages: int


def summarize(scores: Iterable[PageScore]) -> Summary:
    """Mean precision over non-empty predictions, mean recall over all pages, F1 of the two means."""
    scores = list(scores)
    if not scores:
        return Summary(0.0, 0.0, 0.0, 0.0, 0)
    predicted = [s.precision for s in scores if s.predicted_anything]
    precision = sum(predicted) / len(predicted) if predicted else 0.0
    recall = sum(s.recall for s in scores) / len(scores)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(s.exact for s in scores) / len(scores)
    return Summary(f1=f1, precision=precision, recall=recall, accuracy=accuracy, pages=len(scores))
