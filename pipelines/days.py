"""Ranges of UTC calendar days: a backfill's publication window, or which captures a command reads.

One type and one parser for every `--from/--to` pair, so every command accepts and refuses the same input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class DayRangeError(ValueError):
    """A `--from/--to` pair that is not a range of days; the message says what to type instead."""


@dataclass(frozen=True)
class DayRange:
    """Inclusive on both ends; an open end (None) takes every day on that side."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise DayRangeError(f"--from {self.first:%Y-%m-%d} is after --to {self.last:%Y-%m-%d}")

    @classmethod
    def parse(cls, first: str | None, last: str | None) -> DayRange:
        """From `YYYY-MM-DD` strings (either may be None)."""
        return cls(_day("--from", first), _day("--to", last))

    def __contains__(self, day: date | None) -> bool:
        return day is not None and (self.first is None or day >= self.first) and (self.last is None or day <= self.last)

    def overlaps(self, first: date, last: date) -> bool:
        """Whether any day of [first, last] is in the range."""
        return (self.last is None or first <= self.last) and (self.first is None or last >= self.first)

    @property
    def bounded(self) -> bool:
        return self.first is not None and self.last is not None


def _day(option: str, value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DayRangeError(f"{option} {value!r}: not a day; use YYYY-MM-DD (UTC), e.g. 2024-05-17") from None


ALL_DAYS = DayRange()
