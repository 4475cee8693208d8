"""robots.txt in a shared crawl: fetched by one worker per host and run, read from Redis by the others.

Scrapy's RobotsTxtMiddleware fetches robots.txt once per host and process; with N workers that is N fetches
of one file (and N copies in the archive). Here the first worker to claim a host fetches it as Scrapy does and
leaves the body in Redis (pipelines.state.politeness); the others wait for it and parse the same bytes, and
send `robots_parsed` as Scrapy would (the politeness middleware reads Crawl-delay from it). A fetch that fails
releases the claim, and a worker that waits too long fetches it itself.
"""

from __future__ import annotations

from time import monotonic
from typing import Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.distributed.gate import pause
from crawler.distributed.run import shared_run_of
from pipelines.state.politeness import SharedPoliteness

WAIT_FOR_OTHER = 30.0  # seconds a worker waits for another's copy before fetching robots.txt itself
POLL = 0.1


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """See module docstring; replaces Scrapy's RobotsTxtMiddleware in a shared crawl only."""

    def __init__(self, crawler: Crawler, shared: SharedPoliteness) -> None:
        super().__init__(crawler)
        self.shared = shared

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        run = shared_run_of(crawler)
        if run is None:
            raise NotConfigured("not a shared crawl")
        return cls(crawler, run.politeness)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            body = await self._others_copy(netloc)
            if body is not None and netloc not in self._parsers:  # another request here may have got it first
                # Like Scrapy: requests arriving meanwhile wait for the Deferred, so none passes before every
                # robots_parsed handler (the politeness floor) has run.
                waiting: Deferred[RobotParser | None] = Deferred()
                self._parsers[netloc] = waiting
                parser = build_from_crawler(self._parserimpl, self.crawler, body)
                self._stats.inc_value("robotstxt/shared")
                await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed, robotparser=parser,
                                                                request=request)
                self._parsers[netloc] = parser
                waiting.callback(parser)
                return parser
        return await super().robot_parser(request)

    async def _others_copy(self, netloc: str) -> bytes | None:
        """The body another worker fetched; None when this worker is to fetch it (it claimed the host)."""
        deadline = monotonic() + WAIT_FOR_OTHER
        while monotonic() < deadline:
            body = self.shared.robots(netloc)
            if body is not None:
                return body
            if self.shared.claim_robots(netloc, WAIT_FOR_OTHER):
                return None
            await pause(POLL)
        return None

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        self.shared.save_robots(netloc, response.body)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self.shared.release_robots(netloc)
        super()._robots_error(exc, netloc)
