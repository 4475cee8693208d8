"""The WCXB body metrics: word-level F1 per page, and the `with` / `without` snippet checks.

Word-F1 is WCXB's evaluate.py: bag of lowercase Unicode `\\w+` tokens, per-page precision, recall and F1,
averaged over pages; an empty reference scores 1 only against an empty prediction. Snippets: WCXB
lowercases both sides and looks for the snippet as a substring; here runs of whitespace are also
collapsed to one space on both sides, so a line break where the page had a space does not count as a
miss. Per page the share of snippets present; the corpus figure is the mean over pages that have
snippets of that kind.
"""

import re
from collections import Counter
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class WordScore:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def word_score(reference: str, prediction: str) -> WordScore:
    """Bag-of-words overlap of one page."""
    truth, predicted = _WORD.findall(reference.lower()), _WORD.findall(prediction.lower())
    if not truth:
        return WordScore(1.0, 1.0) if not predicted else WordScore(0.0, 0.0)
    if not predicted:
        return WordScore(0.0, 0.0)
    overlap = sum((Counter(truth) & Counter(predicted)).values())
    return WordScore(overlap / len(predicted), overlap / len(truth))


def _flat(text: str) -> str:
    return " ".join(text.lower().split())


def snippet_share(text: str, snippets: tuple[str, ...]) -> float | None:
    """Share of `snippets` found in `text`; None when there are none to look for."""
    if not snippets:
        return None
    flat = _flat(text)
    return sum(_flat(snippet) in flat for snippet in snippets) / len(snippets)
