"""Dates as the reader sees them around the headline, read in the page's own locale.

A page's declared dates are often a CMS's first-import or last-touch stamps, while the date printed by
the headline is the one the publisher shows its readers; `dates.py` uses these to check the declared ones.
Month names and the day/month order come from the CLDR-based locale tables dateparser ships (htmldate's
own parser), for the page's declared language, so no language is special-cased here. An all-numeric date
whose day and month are both 12 or less is read in the order the page's other, unambiguous numeric dates
use, else in its declared locale's order; with neither it keeps both readings and can only confirm a date
another source gives, never stand alone.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

from lxml.html import HtmlElement

# Where text a reader does not see lives, or text that is no part of the page's header (<head>'s <title>).
_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "select", "head"})
# The window around the headline: bylines and datelines sit just below it, kickers just above.
AFTER_CHARS = 400
BEFORE_CHARS = 200
# Text nodes looked at each way, whitespace and hidden ones included. A position-only predicate lets
# libxml2 stop walking the axis there; a filter before it would visit every node of a large page.
_MAX_NODES = 120
# The locale whose month names every page also gets: page templates often print them in English whatever
# the text's language, and a page without a declared language is most often English.
FALLBACK_LANGUAGE = "en"
_MONTH_KEYS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip

_YEAR = r"(?:19|20)\d{2}"
_WORD = r"[^\W\d_]{3,}"
_YEAR_FIRST = re.compile(rf"(?<![\d.])({_YEAR})([-/.])(\d{{1,2}})\2(\d{{1,2}})(?![\d])")
_CJK = re.compile(rf"({_YEAR})\s*[年년]\s*(\d{{1,2}})\s*[月월]\s*(\d{{1,2}})\s*[日일]")
# 4-digit years; 2-digit ones only after a slash ("11/09/25"), since "1.2.25" is more often a version
_NUMERIC = re.compile(rf"(?<![\d.,/-])(\d{{1,2}})([-/.])(\d{{1,2}})\2({_YEAR}|(?<=/)\d{{2}})(?!\d|[-/.,]\d)")
# "12 March 2025", "12. März 2025", "1er janvier 2025", "12 de marzo de 2025"
_DAY_MONTH = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:[^\W\d_]{{1,2}})?\.?\s+(?:[^\W\d_]{{1,3}}\s+)?({_WORD})\.?,?\s+"
    rf"(?:[^\W\d_]{{1,3}}\s+)?({_YEAR})(?!\d)"
)
# "March 12, 2025", "Nov. 4th 2025"
_MONTH_DAY = re.compile(rf"({_WORD})\.?\s+(\d{{1,2}})(?:[^\W\d_]{{1,2}})?,?\s+({_YEAR})(?!\d)")


@dataclass(frozen=True)
class WrittenDate:
    """A date printed on the page: one reading, or two when its numeric day and month could be swapped."""

    readings: tuple[date, ...]

    @property
    def certain(self) -> bool:
        return len(self.readings) == 1


def headline_dates(tree: HtmlElement, language: str | None) -> list[WrittenDate]:
    """Dates printed just below the headline, then just above it, each in reading order."""
    headline = _headline(tree)
    if headline is None:
        return []
    following = headline.xpath(f"following::text()[position() <= {_MAX_NODES}]")
    preceding = headline.xpath(f"preceding::text()[position() <= {_MAX_NODES}]")  # in document order
    after = " ".join(_visible_text(following, AFTER_CHARS))[:AFTER_CHARS]
    before = " ".join(reversed(_visible_text(reversed(preceding), BEFORE_CHARS)))[-BEFORE_CHARS:]
    order = cache(lambda: _page_order(tree) or date_order(language))  # only asked for an ambiguous date
    found = _read(after, language, order) + _read(before, language, order)
    return [written for _, written in found]


def _headline(tree: HtmlElement) -> HtmlElement | None:
    """The first <h1> in an <article>, else in <main>, else the first <h1>."""
    headings = list(tree.iter("h1"))
    for container in ("article", "main"):
        inside = next((h for h in headings if any(a.tag == container for a in h.iterancestors())), None)
        if inside is not None:
            return inside
    return headings[0] if headings else None


def _visible_text(texts: Iterable[Any], limit: int) -> list[str]:
    """The visible ones of XPath text results, whitespace collapsed, in the order given, to `limit` characters."""
    pieces: list[str] = []
    size = 0
    for text in texts:
        if size >= limit:
            break
        if text.strip() and not _hidden(text):
            pieces.append(" ".join(text.split()))
            size += len(pieces[-1]) + 1
    return pieces


def _hidden(text: Any) -> bool:
    owner = text.getparent()  # for a tail, the element it follows: the text lives in that one's parent
    container = owner.getparent() if owner is not None and text.is_tail else owner
    if container is None:
        return False
    return any(isinstance(e.tag, str) and e.tag in _HIDDEN_TAGS for e in (container, *container.iterancestors()))


def _read(text: str, language: str | None, order: Callable[[], str | None]) -> list[tuple[int, WrittenDate]]:
    """Every date in `text` with its position, in text order."""
    found: list[tuple[int, WrittenDate]] = []
    for match in _YEAR_FIRST.finditer(text):
        _add(found, match.start(), [(match[1], match[3], match[4])])
    for match in _CJK.finditer(text):
        _add(found, match.start(), [(match[1], match[2], match[3])])
    months = month_numbers(language)
    for match in _DAY_MONTH.finditer(text):
        if (month := months.get(match[2].casefold())) is not None:
            _add(found, match.start(), [(match[3], month, match[1])])
    for match in _MONTH_DAY.finditer(text):
        if (month := months.get(match[1].casefold())) is not None:
            _add(found, match.start(), [(match[3], month, match[2])])
    for match in _NUMERIC.finditer(text):
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        year += 2000 if year < 100 else 0
        day_first, month_first = (year, second, first), (year, first, second)
        if first > 12 or second > 12 or first == second:
            _add(found, match.start(), [day_first if first > 12 else month_first])
        else:
            readings = {"DMY": [day_first], "MDY": [month_first]}.get(order() or "", [day_first, month_first])
            _add(found, match.start(), readings)
    return sorted(found, key=lambda item: item[0])


_Parts = tuple[str | int, str | int, str | int]  # year, month, day


def _add(found: list[tuple[int, WrittenDate]], position: int, parts: Sequence[_Parts]) -> None:
    readings = []
    for year, month, day in parts:
        try:
            readings.append(date(int(year), int(month), int(day)))
        except ValueError:
            continue
    if readings:
        found.append((position, WrittenDate(tuple(readings))))


@lru_cache(maxsize=256)  # tags come from pages: bounded
def _locale_info(language: str) -> dict[str, Any] | None:
    from dateparser.languages.loader import default_loader  # as htmldate does: loaded on first use

    try:
        info: dict[str, Any] = default_loader.get_locale(language).info
    except ValueError:  # a tag dateparser has no table for
        return None
    return info


def _locales(language: str | None) -> list[dict[str, Any]]:
    """The tables for the tag as declared, else its primary subtag."""
    if not language:
        return []
    for tag in (language, language.split("-")[0].lower()):
        info = _locale_info(tag)
        if info is not None:
            return [info]
    return []


@lru_cache(maxsize=256)
def month_numbers(language: str | None) -> dict[str, int]:
    """Casefolded month names and abbreviations (without their dot) of the language, then of English."""
    numbers: dict[str, int] = {}
    for info in [*_locales(language), *_locales(FALLBACK_LANGUAGE)]:
        for number, key in enumerate(_MONTH_KEYS, 1):
            for name in info.get(key, []):
                name = name.casefold().rstrip(".")
                if re.fullmatch(_WORD, name):
                    numbers.setdefault(name, number)
    return numbers


def date_order(language: str | None) -> str | None:
    """`DMY`, `MDY` or `YMD`: how the declared locale writes a numeric date; None without a declaration."""
    locales = _locales(language)
    order = locales[0].get("date_order") if locales else None
    return order if isinstance(order, str) else None


def _page_order(tree: HtmlElement) -> str | None:
    """`DMY` or `MDY` when the page's unambiguous numeric dates (a part above 12) agree on one order."""
    votes: Counter[str] = Counter()
    for text in tree.xpath("//body//text()[contains(., '/') or contains(., '.') or contains(., '-')]"):
        if _hidden(text):
            continue
        for match in _NUMERIC.finditer(text):
            first, second = int(match[1]), int(match[3])
            if first > 12 >= second:
                votes["DMY"] += 1
            elif second > 12 >= first:
                votes["MDY"] += 1
    return votes.most_common(1)[0][0] if len(votes) == 1 else None
