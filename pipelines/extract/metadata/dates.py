"""Publication and modification dates: which source to trust, and how to refuse a wrong one.

Wrong dates are the most common extraction bug, so sources are tried from the most to the least
deliberate (JSON-LD, meta, <time>, discovery hints, the URL, htmldate's text heuristics) and a date
in the future of the fetch, or before the web had news sites, is never accepted.
"""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement

from pipelines.extract.metadata.jsonld import JsonLd, first_text
from pipelines.extract.metadata.metatags import MetaTags

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


def _htmldate(html: str, url: str, fetched_at: datetime) -> str | None:
    """htmldate's text heuristics, the last resort; it is third-party code, so it may not break us."""
    try:
        return find_date(html, extensive_search=True, original_date=True, url=url, max_date=fetched_at)
    except Exception:
        log.debug("htmldate failed on %s", url, exc_info=True)
        return None


def find_published(
    *,
    html: str,
    tree: HtmlElement,
    jsonld: JsonLd,
    meta: MetaTags,
    url: str,
    hints: dict[str, Any],
    fetched_at: datetime | None,
) -> FoundDate | None:
    """The publication date from the most deliberate source that gives a plausible one."""
    limit = _as_utc(fetched_at)
    article = jsonld.article or {}
    hint_source: str = hints["source"] if hints.get("source") in ("sitemap", "feed") else "sitemap"
    steps: list[tuple[str, Any]] = [
        ("jsonld", lambda: [first_text(article.get(k)) for k in ("datePublished", "dateCreated")]),
        ("meta", lambda: meta.all(*PUBLISHED_META)),
        ("time", lambda: _time_elements(tree)),
        (hint_source, lambda: [hints.get("published_at")]),
        ("url", lambda: [_url_date(url)]),
        ("text", lambda: [_htmldate(html, url, limit)]),
    ]
    for source, values in steps:
        found = _first_plausible(values(), source, limit)
        if found:
            return found
    return None


def find_modified(
    *, jsonld: JsonLd, meta: MetaTags, published: FoundDate | None, fetched_at: datetime | None
) -> FoundDate | None:
    """The last-modified date; one earlier than the publication date is a publisher error and dropped."""
    limit = _as_utc(fetched_at)
    article = jsonld.article or {}
    found = _first_plausible([first_text(article.get("dateModified"))], "jsonld", limit) or _first_plausible(
        meta.all(*MODIFIED_META), "meta", limit
    )
    if found and published and found.value < published.value:
        return None
    return found


def _as_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
