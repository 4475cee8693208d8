"""What a crawl is after, as a policy the spider asks: today's new articles, or what a site published in a window.

The spider does the same things in both (follow seeds, feeds, sitemaps and links; archive everything it
fetches); the policy decides the differences, so they are written once instead of as branches in the spider:
- `IncrementalPolicy` (`crawl`): homepage and sections; feeds and sitemaps with conditional GET, index children
  only when their lastmod changed; their validators kept after a complete run.
- `BackfillPolicy` (`backfill --from --to`): only URLs dated in the window at discovery, newest first; no
  sections (today's news), no conditional GET and no validators (a backfill needs every entry).
Both skip articles the archive already holds unless the crawl refetches (`INCREMENTAL = False`). Only an
incremental crawl re-fetches, on a site's revisit schedule, the articles it archived recently (docs/versions.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from crawler.discovery.sitemaps import SitemapEntry
from crawler.discovery.window import discovered_date, newest_first, url_dates
from crawler.sites import Site
from pipelines.days import DayRange


class CrawlPolicy(Protocol):
    def seed_pages(self, site: Site) -> tuple[str, ...]:
        """The pages a crawl of the site starts from (feeds and sitemaps of the sites file come on top)."""
        ...

    def page_skip(self, url: str, hints: dict[str, Any]) -> str | None:
        """Why a discovered page (not a seed) is not wanted, as a stats name; None when it is."""
        ...

    def page_priority(self, url: str, hints: dict[str, Any], default: int) -> int: ...

    def conditional_get(self) -> bool:
        """Whether feeds and sitemaps are asked for with the last clean run's validators."""
        ...

    def entry_order(self, entries: Iterable[SitemapEntry]) -> list[SitemapEntry]: ...

    def sitemap_skip(self, entry: SitemapEntry, known_lastmod: str | None) -> str | None:
        """Why a sitemap index's child is not read, as a stats name; None when it is."""
        ...

    def keeps_validators(self) -> bool:
        """Whether a complete run saves the validators of its feeds and sitemaps for the next one."""
        ...

    def revisit_due(self, schedule: tuple[timedelta, ...], first: datetime, last: datetime, now: datetime) -> bool:
        """Whether an article first archived at `first` and last fetched at `last` is to be fetched again now."""
        ...


def due_on_schedule(schedule: tuple[timedelta, ...], first: datetime, last: datetime, now: datetime) -> bool:
    """Decaying revisits: due when a point of the schedule (a time after first archiving) has passed since the
    last fetch. A crawl that runs late catches up with one fetch, however many points it missed."""
    return any(last < first + offset <= now for offset in schedule)


@dataclass(frozen=True)
class IncrementalPolicy:
    """Only what is new since the last run; `refetch` turns off every "unchanged since" shortcut."""

    refetch: bool = False

    def seed_pages(self, site: Site) -> tuple[str, ...]:
        return (site.homepage, *site.sections)

    def page_skip(self, url: str, hints: dict[str, Any]) -> str | None:
        return None

    def page_priority(self, url: str, hints: dict[str, Any], default: int) -> int:
        return default

    def conditional_get(self) -> bool:
        return not self.refetch

    def entry_order(self, entries: Iterable[SitemapEntry]) -> list[SitemapEntry]:
        return list(entries)

    def sitemap_skip(self, entry: SitemapEntry, known_lastmod: str | None) -> str | None:
        unchanged = not self.refetch and entry.lastmod and known_lastmod == entry.lastmod
        return "sitemap_unchanged" if unchanged else None

    def keeps_validators(self) -> bool:
        return True

    def revisit_due(self, schedule: tuple[timedelta, ...], first: datetime, last: datetime, now: datetime) -> bool:
        return due_on_schedule(schedule, first, last, now)


@dataclass(frozen=True)
class BackfillPolicy:
    """What was published in `window`, newest first; dates come from discovery only, so nothing outside the
    window is fetched (and sitemaps outside it are not even read)."""

    window: DayRange

    def seed_pages(self, site: Site) -> tuple[str, ...]:
        return (site.homepage,)  # for its feed links and robots.txt; sections list today's news

    def page_skip(self, url: str, hints: dict[str, Any]) -> str | None:
        day = discovered_date(url, hints)
        if day is None:
            return "undated"
        return None if day in self.window else "outside_window"

    def page_priority(self, url: str, hints: dict[str, Any], default: int) -> int:
        day = discovered_date(url, hints)
        return newest_first(self.window, day) if day else default

    def conditional_get(self) -> bool:
        return False

    def entry_order(self, entries: Iterable[SitemapEntry]) -> list[SitemapEntry]:
        """Newest first: requests may leave before the rest are scheduled."""
        return sorted(entries, key=lambda e: discovered_date(e.loc, e.hints()) or date.min, reverse=True)

    def sitemap_skip(self, entry: SitemapEntry, known_lastmod: str | None) -> str | None:
        span = url_dates(entry.loc)
        modified = discovered_date(entry.loc, {"lastmod": entry.lastmod})
        before = modified is not None and modified < (self.window.first or date.min)
        return "sitemap_outside_window" if (span and not self.window.overlaps(*span)) or before else None

    def keeps_validators(self) -> bool:
        return False

    def revisit_due(self, schedule: tuple[timedelta, ...], first: datetime, last: datetime, now: datetime) -> bool:
        return False  # a backfill is after what was published in its window, not what changed since
