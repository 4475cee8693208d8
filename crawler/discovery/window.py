"""Date windows for backfills: what date a discovered URL carries, and whether it falls in the window.

Dates come from discovery only (news:publication_date, feed dates, sitemap lastmod, dates in the URL),
so out-of-window pages are never fetched. A URL date may be a whole month (`/2024/05/`, `sitemap-2024-05.xml`).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime
from typing import Any

from pipelines.days import DayRange

_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[/_-](0?[1-9]|1[0-2])(?:[/_-](0?[1-9]|[12]\d|3[01]))?(?!\d)")
HINT_KEYS = ("published_at", "lastmod")


def parse_date(value: str) -> date | None:
    """The UTC calendar date of an RFC 3339 / W3C datetime or a plain date; None if unparseable."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.astimezone(UTC).date() if parsed.tzinfo else parsed.date()


def url_dates(url: str) -> tuple[date, date] | None:
    """First and last day the URL's date stands for: a day, or a whole month; None without a date."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if match[3]:
        try:
            day = date(year, month, int(match[3]))
        except ValueError:
            return None
        return day, day
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def discovered_date(url: str, hints: dict[str, Any]) -> date | None:
    """The best publication date known at discovery: hints first, then a day in the URL."""
    for key in HINT_KEYS:
        if isinstance(hints.get(key), str) and (found := parse_date(hints[key])):
            return found
    span = url_dates(url)
    return span[0] if span and span[0] == span[1] else None


def newest_first(window: DayRange, day: date) -> int:
    """Request priority of a page published on `day`: the last day of the window gets the highest."""
    return (day - (window.first or day)).days
