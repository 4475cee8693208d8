"""When a leased request is done, and when the shared crawl is over.

A lease is acknowledged once Scrapy is done with its response: the callback's output went through (the
requests it yielded are in the shared frontier) and every item it yielded left the item pipelines (its record
is written, or it was dropped). Scrapy has no signal for "this response is processed"; a spider middleware sees
the output end and the item signals say when each item is through, so the two together decide. A failed request
is done when its errback returned (the spider's errback calls `acknowledge`). A worker killed before that never
acknowledges: its heartbeat stops, and another worker's `reap` puts the request back in the frontier.

The spider closes when the whole run is quiet (frontier empty, no leases out anywhere) for
DISTRIBUTED_IDLE_TIMEOUT; until then an idle worker keeps asking (DontCloseSpider) and reaps dead workers.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from time import monotonic
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from twisted.internet.task import LoopingCall

from crawler.distributed.run import LEASE_META, shared_run_of
from pipelines.state.crawlrun import SharedRun

log = logging.getLogger(__name__)
TRACKER_ATTRIBUTE = "_newsarchive_leases"


class LeaseTracker:
    """Per lease: has its callback's output ended, how many of its items are still in the pipelines."""

    def __init__(self, run: SharedRun) -> None:
        self.run = run
        self.items: Counter[str] = Counter()
        self.ended: set[str] = set()
        self.acknowledged = 0

    def item_started(self, lease: str) -> None:
        self.items[lease] += 1

    def item_finished(self, lease: str) -> None:
        self.items[lease] -= 1
        self._maybe_ack(lease)

    def output_ended(self, lease: str) -> None:
        self.ended.add(lease)
        self._maybe_ack(lease)

    def _maybe_ack(self, lease: str) -> None:
        if lease in self.ended and self.items[lease] <= 0:
            self.ended.discard(lease)
            del self.items[lease]
            self.acknowledge(lease)

    def acknowledge(self, lease: str) -> None:
        self.run.ack(lease)
        self.acknowledged += 1


def lease_of(holder: Request | Response | Any) -> str | None:
    meta = getattr(holder, "meta", None)
    try:
        return meta.get(LEASE_META) if meta is not None else None
    except AttributeError:  # a Response without a request has no meta
        return None


def tracker_of(crawler: Crawler) -> LeaseTracker | None:
    return getattr(crawler, TRACKER_ATTRIBUTE, None)


def acknowledge_failed(crawler: Crawler, request: Request | None) -> None:
    """A request that failed (the spider's errback ran) is done: nothing it could add is missing."""
    tracker, lease = tracker_of(crawler), lease_of(request)
    if tracker is not None and lease:
        tracker.acknowledge(lease)


class LeaseMiddleware:
    """Spider middleware: counts the items of a leased response and tells the tracker when its output ended."""

    def __init__(self, tracker: LeaseTracker) -> None:
        self.tracker = tracker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        tracker = tracker_of(crawler)
        if tracker is None:
            raise NotConfigured("not a shared crawl")
        return cls(tracker)

    def _passed(self, lease: str, output: Any) -> Any:
        if isinstance(output, Request):
            if output.meta.get(LEASE_META) == lease:  # a copy of the response's request: not the same lease
                del output.meta[LEASE_META]
        elif output is not None:
            self.tracker.item_started(lease)
        return output

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        lease = lease_of(response)
        try:
            for output in result:
                yield self._passed(lease, output) if lease else output
        finally:
            if lease:
                self.tracker.output_ended(lease)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        lease = lease_of(response)
        try:
            async for output in result:
                yield self._passed(lease, output) if lease else output
        finally:
            if lease:
                self.tracker.output_ended(lease)


class SharedCrawlExtension:
    """Items through the pipelines release their lease's hold; dead workers are reaped; the run ends when quiet."""

    def __init__(self, crawler: Crawler, run: SharedRun) -> None:
        self.crawler = crawler
        self.run = run
        self.tracker = LeaseTracker(run)
        setattr(crawler, TRACKER_ATTRIBUTE, self.tracker)
        self.idle_timeout = crawler.settings.getfloat("DISTRIBUTED_IDLE_TIMEOUT")
        self.quiet_since: float | None = None
        self.reaper = LoopingCall(self.reap)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        run = shared_run_of(crawler)
        if run is None:
            raise NotConfigured("not a shared crawl")
        extension = cls(crawler, run)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(extension.item_done, signal=signal)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.reaper.start(max(0.5, self.run.lease_timeout_ms / 2000), now=False)

    def spider_closed(self) -> None:
        if self.reaper.running:
            self.reaper.stop()

    def item_done(self, response: Response | None = None, **_: Any) -> None:
        lease = lease_of(response)
        if lease:
            self.tracker.item_finished(lease)

    def reap(self) -> None:
        try:
            moved = self.run.reap()
        except Exception as error:  # Redis away for a moment: the next round tries again
            log.warning("shared crawl: could not look for dead workers: %s", error)
            return
        if moved:
            self.crawler.stats.inc_value("newsarchive/distributed/reclaimed", moved)
            log.warning("shared crawl: %d request(s) of a worker that stopped (killed, interrupted, silent) went "
                        "back to the frontier", moved)

    def spider_idle(self) -> None:
        """Close only when the whole run has been quiet for the idle timeout."""
        self.reap()
        if not self.run.quiet():
            self.quiet_since = None
            raise DontCloseSpider
        now = monotonic()
        if self.quiet_since is None:
            self.quiet_since = now
        if now - self.quiet_since < self.idle_timeout:
            raise DontCloseSpider
        log.info("shared crawl: frontier empty and no leases out for %.0f s; this worker is done", self.idle_timeout)
