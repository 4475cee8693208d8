"""Revisits of archived articles (docs/versions.md), for the spider: which sites track versions, which of their
articles are due, the conditional request, and what a fetch leaves in the crawl state for the next one.

Whether a revisit is due is the crawl policy's decision (crawler/spiders/policy.py); whether the text changed
is the item side's (crawler.item_pipelines.VersionPipeline).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.http import Headers, Response

from crawler.sites import Site
from pipelines.state.seen import SeenStore
from pipelines.state.versions import PageFetch, Tracked
from pipelines.times import rfc3339

if TYPE_CHECKING:
    from crawler.spiders.policy import CrawlPolicy


def schedules(sites: Iterable[Site], default: tuple[timedelta, ...]) -> dict[str, tuple[timedelta, ...]]:
    """Site name → its revisit schedule (its `revisit` key, else the REVISIT setting), for sites that have one."""
    return {site.name: schedule for site in sites
            if (schedule := default if site.revisit is None else site.revisit)}


def due(seen: SeenStore, policy: CrawlPolicy, site: str, schedule: tuple[timedelta, ...],
        now: datetime | None = None) -> Iterator[Tracked]:
    """The site's articles first archived within its schedule's last point whose next revisit is due now."""
    now = now or datetime.now(UTC)
    for tracked in seen.tracked(site, rfc3339(now - schedule[-1])):
        if policy.revisit_due(schedule, tracked.first_archived, tracked.last_fetched, now):
            yield tracked


def conditional(request: Request, tracked: Tracked, *, validators: bool = True) -> Request:
    """Asked for with the last fetch's validators: an unchanged page answers 304, archived as a revisit record,
    and makes no record. A rendered page (`validators` False) is asked for in full: its text comes from what its
    scripts load, which a 304 for its document says nothing about (and a 304 to the browser's navigation left the
    page waiting until its deadline)."""
    fetch = tracked.last_fetch if validators else None
    if fetch is not None and fetch.etag:
        request.headers[b"If-None-Match"] = fetch.etag
    if fetch is not None and fetch.last_modified:
        request.headers[b"If-Modified-Since"] = fetch.last_modified
    request.meta.update(revisit=True, handle_httpstatus_list=[304])
    return request


def _header(headers: Headers | None, name: bytes) -> str | None:
    value = headers.get(name) if headers is not None else None
    return value.decode("latin-1") if value else None


def page_fetch(response: Response) -> PageFetch:
    """When a page was fetched, and its validators for the next conditional GET (a 304 need not repeat them:
    then those the request sent)."""
    sent = response.request.headers if response.request is not None else None
    when = response.meta.get("warc_date") or datetime.now(UTC)
    return PageFetch(response.url, rfc3339(when),
                     _header(response.headers, b"ETag") or _header(sent, b"If-None-Match"),
                     _header(response.headers, b"Last-Modified") or _header(sent, b"If-Modified-Since"))


def remember_fetch(seen: SeenStore, response: Response) -> None:
    """Remember the fetch of a page of a site that tracks versions (page_fetch)."""
    seen.save_fetch(page_fetch(response))
