"""Publication and modification dates: which source to trust, and how to refuse a wrong one.

Wrong dates are the most common extraction bug, so declared sources are tried from the most to the least
deliberate (JSON-LD, meta, <time>, discovery hints, the URL), the dates the page prints around its
headline check that choice (`find_published`), htmldate's text heuristics are the last resort, and a date
in the future of the fetch, or before the web had news sites, is never accepted.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement

from pipelines.extract.metadata.jsonld import JsonLd, first_text
from pipelines.extract.metadata.metatags import MetaTags
from pipelines.extract.metadata.written_dates import WrittenDate, headline_dates

log = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(hours=1)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)

PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "published_time",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "publication_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "dc.date.created",
    "datecreated",
    "date",
)
MODIFIED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "article.updated",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
)

_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:/|[-_.]|$)")
_ZONE_NAME = re.compile(r"\s*(?:UTC|GMT|Z)$", re.IGNORECASE)
_FRACTION = re.compile(r"(\.\d{1,6})\d*")
_TIME_XPATH = (
    "//*[@itemprop='datePublished' or @pubdate]"
    " | //time[@datetime][not(ancestor::a or ancestor::aside or ancestor::nav or ancestor::footer"
    " or ancestor::li)]"
)


@dataclass(frozen=True)
class FoundDate:
    """A date and where it came from (`jsonld`, `meta`, `time`, `sitemap`, `feed`, `url`, `text`)."""

    value: datetime
    source: str

    def rfc3339(self) -> str:
        return self.value.isoformat(timespec="seconds")


def parse_date(raw: Any) -> datetime | None:
    """ISO 8601 in its common web spellings, RFC 2822, or epoch seconds/milliseconds; naive means UTC."""
    if isinstance(raw, datetime):
        parsed: datetime | None = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        parsed = _from_epoch(float(raw))
    elif isinstance(raw, str) and raw.strip():
        parsed = _parse_text(raw.strip())
    else:
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _parse_text(text: str) -> datetime | None:
    if text.isdigit() and len(text) >= 9:
        return _from_epoch(float(text))
    iso = _FRACTION.sub(r"\1", _ZONE_NAME.sub("+00:00", text))
    iso = re.sub(r"^(\d{4})/(\d{2})/(\d{2})", r"\1-\2-\3", iso)
    iso = re.sub(r"(\d)\s+([+-]\d{2}:?\d{2})$", r"\1\2", iso)
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _plausible(value: datetime, fetched_at: datetime) -> bool:
    return EARLIEST <= value <= fetched_at + FUTURE_TOLERANCE


def plausible_date(raw: Any, source: str, fetched_at: datetime | None) -> FoundDate | None:
    """`raw` parsed, if it is a date a page fetched at `fetched_at` can carry (see module docstring)."""
    return _first_plausible([raw], source, _as_utc(fetched_at))


def _first_plausible(raws: list[Any], source: str, fetched_at: datetime) -> FoundDate | None:
    for raw in raws:
        value = parse_date(raw)
        if value is not None and _plausible(value, fetched_at):
            return FoundDate(value, source)
    return None


def _time_elements(tree: HtmlElement) -> list[str]:
    """Machine-readable dates in the page body: explicit datePublished/pubdate first, then bare <time>."""
    values = []
    for element in tree.xpath(_TIME_XPATH):
        raw = element.get("datetime") or element.get("content") or element.text_content()
        if raw and raw.strip():
            values.append(raw.strip())
    return values


def _url_date(url: str) -> str | None:
    match = _URL_DATE.search(url)
    return "-".join(match.groups()) if match else None


def _htmldate(tree: HtmlElement, url: str, fetched_at: datetime) -> str | None:
    """htmldate's text heuristics, the last resort; it is third-party code, so it may not break us.

    It gets the parsed tree (it prunes a copy), never the page's string: handed a string that starts with
    "http" and has no space, htmldate downloads that URL, so a page whose body is just a link to an
    internal address would make the extraction worker fetch it behind the crawl's network guard.
    """
    try:
        return find_date(tree, extensive_search=True, original_date=True, url=url, max_date=fetched_at)
    except Exception:
        log.debug("htmldate failed on %s", url, exc_info=True)
        return None


def find_published(
    *,
    tree: HtmlElement,
    jsonld: JsonLd,
    meta: MetaTags,
    url: str,
    hints: dict[str, Any],
    fetched_at: datetime | None,
    language: str | None = None,
) -> FoundDate | None:
    """The publication date the page shows: declared dates checked against the dates printed by the headline.

    The most deliberate source that gives a plausible date is the first choice (`declared`). When the page
    prints dates around its headline (`written_dates`), they check it:
    - the declared date is printed: kept;
    - a declared modification date is printed ("Updated ..." under the headline): the declared publication
      date stays, as the Mozilla reference (Readability.js) has it; the modification date only stands in
      for a missing one;
    - another declared date (a meta, a <time>) that is not a modification date is printed: that one;
    - none is printed: the first printed date, when there is nothing declared or the printed one is earlier
      (a declared date after the page's own printed one is a re-import or migration stamp; a later
      printed one is an update).
    htmldate's text search is the last resort, for pages that neither declare nor print one.
    """
    limit = _as_utc(fetched_at)
    article = jsonld.article or {}
    hint_source: str = hints["source"] if hints.get("source") in ("sitemap", "feed") else "sitemap"
    steps: list[tuple[str, Callable[[], list[Any]]]] = [
        ("jsonld", lambda: [first_text(article.get(k)) for k in ("datePublished", "dateCreated")]),
        ("meta", lambda: meta.all(*PUBLISHED_META)),
        ("time", lambda: _time_elements(tree)),
        (hint_source, lambda: [hints.get("published_at")]),
        ("url", lambda: [_url_date(url)]),
    ]
    declared = next((found for source, values in steps if (found := _first_plausible(values(), source, limit))), None)
    written = [w for w in headline_dates(tree, language) if all(_plausible(_midnight(d), limit) for d in w.readings)]
    if not written or (declared is not None and _printed(declared, written)):
        return declared or _first_plausible([_htmldate(tree, url, limit)], "text", limit)
    modified = _modified_candidates(jsonld, meta, limit)
    shown_modified = next((m for m in modified if _printed(m, written)), None)
    if shown_modified is not None:
        return declared or shown_modified
    modified_days = {m.value.date() for m in modified}
    others = [c for source, values in steps for c in _all_plausible(values(), source, limit)]
    others = [c for c in others if c.value.date() not in modified_days]
    for printed in written:
        shown = next((c for c in others if _printed(c, [printed])), None)
        if shown is not None:
            return shown
    first = next((w.readings[0] for w in written if w.certain), None)
    if first is not None and (declared is None or first < declared.value.date()):
        return FoundDate(_midnight(first), "text")
    return declared or _first_plausible([_htmldate(tree, url, limit)], "text", limit)


def _modified_candidates(jsonld: JsonLd, meta: MetaTags, fetched_at: datetime) -> list[FoundDate]:
    """Every plausible declared modification date, JSON-LD first."""
    article_modified = [first_text((jsonld.article or {}).get("dateModified"))]
    return _all_plausible(article_modified, "jsonld", fetched_at) + _all_plausible(
        meta.all(*MODIFIED_META), "meta", fetched_at
    )


def _all_plausible(raws: list[Any], source: str, fetched_at: datetime) -> list[FoundDate]:
    return [found for raw in raws if (found := _first_plausible([raw], source, fetched_at))]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _printed(found: FoundDate, written: list[WrittenDate]) -> bool:
    """Whether one of the printed dates is `found`'s day: in its own offset, or for a time stamped in UTC,
    its day in any time zone (UTC-12 to UTC+14), since a page prints the local day of a UTC time."""
    value = found.value
    first = last = value.date()
    if value.utcoffset() == timedelta(0) and value.timetz() != time(tzinfo=value.tzinfo):
        first, last = (value - timedelta(hours=12)).date(), (value + timedelta(hours=14)).date()
    return any(first <= day <= last for w in written for day in w.readings)


def find_modified(
    *, jsonld: JsonLd, meta: MetaTags, published: FoundDate | None, fetched_at: datetime | None
) -> FoundDate | None:
    """The last-modified date; one earlier than the publication date is a publisher error and dropped."""
    limit = _as_utc(fetched_at)
    found = next(iter(_modified_candidates(jsonld, meta, limit)), None)
    if found and published and found.value < published.value:
        return None
    return found


def _as_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
