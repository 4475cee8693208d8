"""Article URL patterns for a sites-file entry, inferred from URLs the classifier called articles and not.

A pattern must hold for the site's articles nobody sampled, so candidates are a fixed catalogue of URL
*structures* news sites use (a date in the path, a numeric id, a long slug, a `.html` leaf), never words
taken from the sampled URLs; the one exception is a section prefix (`/article/`), tried only with a
structure, or alone as the last resort, and only when articles share it. A candidate is kept only if it
matches none of the non-articles seen, at least MIN_SUPPORT articles and MIN_SHARE of them. The kept ones
are picked greedily by how many articles they add; ties go to the stricter structure (a date *then a slug*
over a bare date, which a day-archive listing also has). No pattern is a fine answer: in a crawl a pattern
only adds evidence to the classifier (pipelines/extract/classify.py), which decides alone without one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MIN_SUPPORT = 3     # articles a pattern must match (and add, when it is not the first one picked)
MIN_SHARE = 0.2     # ... and this share of the articles sampled
MAX_PATTERNS = 3

# Every pattern is anchored at the path (a host name or port with digits in it must not count), and a structure
# is matched from the start of a path segment.
_ORIGIN = r"^https?://[^/]+/"
_PATH = _ORIGIN + r"(?:[^/?#]+/)*"
# Segment pieces. LEAF: a last segment with a letter in it (a slug or a name, not a bare number or a day).
_END = r"/?(?:[?#]|$)"
_LEAF = r"(?=[^/?#]*[A-Za-z])[^/?#]+" + _END  # lookaheads, not [^/]*X[^/]*: linear on hostile URLs
_YEAR, _MONTH, _DAY = r"(?:19|20)\d{2}", r"[01]?\d", r"[0-3]?\d"
_WORDS = r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)"

# (name, what it means, path fragment matched from a segment's start), strictest first within each family.
STRUCTURES: tuple[tuple[str, str, str], ...] = (
    ("date-slug", "a date /YYYY/MM/DD/ then a slug as the last segment", f"{_YEAR}/{_MONTH}/{_DAY}/{_LEAF}"),
    ("date", "a date /YYYY/MM/DD/ with more path after it", rf"{_YEAR}/{_MONTH}/{_DAY}/[^/?#]"),
    ("month-slug", "a month /YYYY/MM/ then a slug as the last segment", f"{_YEAR}/{_MONTH}/{_LEAF}"),
    ("dashed-date", "a date YYYY-MM-DD in the last segment",
     rf"(?=[^/?#]*?{_YEAR}-[01]\d-[0-3]\d)[^/?#]+{_END}"),
    ("id-slug", "a number of 5+ digits then a slug, as the last segments", rf"\d{{5,}}/{_LEAF}"),
    ("id", "a number of 5+ digits in the last segment", rf"(?=[^/?#]*?\d{{5}})[^/?#]+{_END}"),
    ("query-id", "a query parameter holding a number of 4+ digits", r"[^/?#]*\?(?:[^&#]*&)*[\w.-]+=\d{4,}(?:[&#]|$)"),
    ("html-slug", "a last segment of 3+ words ending .html", rf"{_WORDS}{{2,}}\.s?html?{_END}"),
    ("slug", "a last segment of 4+ words", rf"{_WORDS}{{3,}}(?:\.s?html?)?{_END}"),
)


@dataclass(frozen=True)
class InferredPattern:
    """A pattern with the evidence for it: which sampled articles it matches (it matched no other page)."""

    regex: str
    meaning: str
    articles: frozenset[str]

    def matches(self, url: str) -> bool:
        return re.search(self.regex, url) is not None


@dataclass(frozen=True)
class _Candidate:
    regex: str
    meaning: str
    rank: int  # catalogue order: lower is preferred when two add as many articles


def _segment_literal(segment: str) -> str:
    return segment if re.fullmatch(r"[A-Za-z0-9_-]+", segment) else re.escape(segment)


def first_segment(url: str) -> str | None:
    """`news` for `https://host/news/12345-slug`; None for a URL with a single segment or none."""
    segments = urlsplit(url).path.split("/")[1:]
    return segments[0] if len(segments) > 1 and segments[0] else None


def _candidates(articles: Sequence[str]) -> list[_Candidate]:
    """Every structure anywhere in the path; then each under a section prefix most articles share; then the
    prefixes alone."""
    found = [_Candidate(f"{_PATH}{fragment}", meaning, rank) for rank, (_, meaning, fragment) in enumerate(STRUCTURES)]
    shared = Counter(segment for url in articles if (segment := first_segment(url)))
    prefixes = sorted(segment for segment, count in shared.items() if count >= MIN_SUPPORT)
    rank = len(found)
    for segment in prefixes:
        literal = _segment_literal(segment)
        for _, meaning, fragment in STRUCTURES:
            found.append(_Candidate(f"{_ORIGIN}{literal}/(?:[^/?#]+/)*{fragment}",
                                    f"{meaning}, under /{segment}/", rank))
            rank += 1
    for segment in prefixes:
        found.append(_Candidate(rf"{_ORIGIN}{_segment_literal(segment)}/[^?#]+",
                                f"anything under /{segment}/", rank))
        rank += 1
    return found


def infer_article_patterns(articles: Sequence[str], others: Sequence[str]) -> list[InferredPattern]:
    """Patterns for the `articles` URLs that match none of `others` (pages classified as not articles)."""
    articles = sorted(set(articles))
    if len(articles) < MIN_SUPPORT:
        return []
    eligible = []
    for candidate in _candidates(articles):
        compiled = re.compile(candidate.regex)
        if any(compiled.search(url) for url in others):
            continue
        matched = frozenset(url for url in articles if compiled.search(url))
        if len(matched) >= MIN_SUPPORT and len(matched) >= MIN_SHARE * len(articles):
            eligible.append((candidate, matched))
    chosen: list[InferredPattern] = []
    covered: set[str] = set()
    while eligible and len(chosen) < MAX_PATTERNS:
        candidate, matched = max(eligible, key=lambda pair: (len(pair[1] - covered), -pair[0].rank))
        if len(matched - covered) < MIN_SUPPORT:
            break
        chosen.append(InferredPattern(candidate.regex, candidate.meaning, matched))
        covered |= matched
        eligible = [pair for pair in eligible if pair[0] != candidate]
    return chosen
