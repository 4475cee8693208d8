"""Time as the archive writes it: UTC, RFC 3339, with an explicit offset, everywhere (ARCHITECTURE.md)."""

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise


def rfc3339(moment: datetime) -> str:
    """UTC, RFC 3339, with an explicit offset (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d{1,12})\s*([smhd])")
MAX_DURATION_DAYS = 36500  # past any revisit; a few thousand years made `now - duration` overflow at crawl start


def parse_duration(text: object) -> timedelta:
    """`30s`, `15m`, `1h`, `2d` → timedelta; ValueError saying what a duration looks like."""
    match = _DURATION.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if match is None or int(match[1]) == 0:
        raise ValueError(f"bad duration {text!r} — expected a whole number and a unit, like 30s, 15m, 1h or 2d")
    seconds = int(match[1]) * DURATION_UNITS[match[2]]
    if seconds > MAX_DURATION_DAYS * DURATION_UNITS["d"]:
        raise ValueError(f"bad duration {text!r} — at most {MAX_DURATION_DAYS}d (a hundred years)")
    return timedelta(seconds=seconds)


def parse_schedule(items: object) -> tuple[timedelta, ...]:
    """A revisit schedule: a list of durations after first archiving, strictly increasing; ValueError if not."""
    if not isinstance(items, list):
        raise ValueError("expected a list of durations, like [1h, 6h, 24h, 72h]")
    schedule = tuple(parse_duration(item) for item in items)
    if any(later <= earlier for earlier, later in pairwise(schedule)):
        raise ValueError(f"durations must grow ({', '.join(map(str, items))}) — list them in order, like "
                         "[1h, 6h, 24h, 72h]")
    return schedule
