"""Shared crawls: the downloader middleware that paces each host on the run's one clock in Redis.

The host's interval comes from the process's PolitenessMiddleware (crawler.middlewares.politeness: the site's
delay, raised by robots.txt, else DOWNLOAD_DELAY); the turns are taken in pipelines.state.politeness
(docs/distributed.md, "Politeness across workers").
"""

from __future__ import annotations

from itertools import count
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredLock
from twisted.internet.task import deferLater

from crawler.distributed.run import shared_run_of
from crawler.middlewares.politeness import politeness_of
from pipelines.state.politeness import SharedPoliteness

GATE_POLL = 0.02  # seconds between looks while another worker's request to the host is on its way
TURN_META = "newsarchive_turn"


class PolitenessGateMiddleware:
    """Shared crawls only, the last downloader middleware before the capture stamp: a request to a host with a
    delay waits for the host's turn on the run's one clock (pipelines.state.politeness); the turn is done when
    its response's headers arrive (or it fails), and the host's next request, from any worker, leaves the
    interval after that. One request per host and worker asks at a time. A host with no delay takes no turns,
    but waits out a Retry-After hold all the same."""

    def __init__(self, crawler: Crawler, shared: SharedPoliteness) -> None:
        self.crawler = crawler
        self.shared = shared
        self.locks: dict[str, DeferredLock] = {}
        self.hold_for = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self.turns = count()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        run = shared_run_of(crawler)
        if run is None:
            raise NotConfigured("not a shared crawl")
        gate = cls(crawler, run.politeness)
        crawler.signals.connect(gate.answered, signal=signals.headers_received)
        crawler.signals.connect(gate.answered, signal=signals.request_left_downloader)
        return gate

    def _interval(self, key: str) -> float:
        politeness = politeness_of(self.crawler)
        return politeness.interval(key) if politeness is not None else 0.0

    async def process_request(self, request: Request) -> None:
        key = self.crawler.engine.downloader.get_slot_key(request)
        interval = self._interval(key)
        if not interval:  # not paced, but a Retry-After holds it for every worker
            while (held := self.shared.held_for(key)) > 0:
                await pause(held)
            return
        token = f"{id(self)}-{next(self.turns)}"
        lock = self.locks.setdefault(key, DeferredLock())
        await maybe_deferred_to_future(lock.acquire())
        try:
            while True:
                wait = self.shared.turn(key, token, hold_for=self.hold_for + interval)
                if wait == 0:
                    request.meta[TURN_META] = (key, token)
                    return
                await pause(GATE_POLL if wait is None else wait)
        finally:
            lock.release()

    def answered(self, request: Request, **_: Any) -> None:
        """Headers came (or the request left the downloader without them): the host's next turn is one
        interval from now."""
        turn = request.meta.pop(TURN_META, None)
        if turn is not None:
            key, token = turn
            self.shared.done(key, token, self._interval(key))


async def pause(seconds: float) -> None:
    from twisted.internet import reactor

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
