"""Politeness Scrapy leaves out: robots.txt Crawl-delay / Request-rate, Retry-After, per-site ban detection.

One downloader middleware that also listens to signals, because the downloader slot (one per host) is
where delays live and `response_downloaded` is the last moment before the slot picks its next request:
- a per-slot *floor* (the site's `delay`, raised by robots.txt `Crawl-delay`/`Request-rate`) that AutoThrottle and
  the delay jitter can never undercut;
- `Retry-After` on 429/503 holds the whole slot back (RetryMiddleware then retries the request);
- a storm of 403/429/challenge pages from one site blocks it: its remaining requests are dropped,
  the stats say `newsarchive/site/<site>/blocked` = 1, and the run exits with ExitCode.BLOCKED.

In a shared crawl (REDIS_URL, docs/distributed.md) the same delays hold across all workers: the host's interval
(the floor, else DOWNLOAD_DELAY) is paced by `PolitenessGateMiddleware`, the last step before a request leaves, on
one clock in Redis (pipelines.state.politeness): the next request to a host leaves the interval after the previous
one was answered, whichever workers sent them; the local slot adds no delay of its own; Retry-After holds the host
for every worker, and a site one worker finds blocking is blocked for all.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import count
from time import monotonic
from typing import Any, Self

from scrapy import Request, signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredLock
from twisted.internet.task import deferLater

from crawler.distributed.run import shared_run_of
from pipelines.run.report import site_stat
from pipelines.state.politeness import SharedPoliteness
from pipelines.warc.codings import content_codings, decodable_codings, decoded_prefix

log = logging.getLogger(__name__)

BAN_STATUSES = frozenset({403, 429})
RETRY_AFTER_STATUSES = frozenset({429, 503})
MIN_BACKOFF_DELAY = 0.001  # seconds
GATE_POLL = 0.02  # seconds between looks while another worker's request to the host is on its way
TURN_META = "newsarchive_turn"
POLITENESS_ATTRIBUTE = "_newsarchive_politeness"
# Markup of captcha / bot-check interstitials (Cloudflare, reCAPTCHA, hCaptcha, PerimeterX, DataDome, Distil).
CHALLENGE_MARKERS = (b"g-recaptcha", b"h-captcha", b"hcaptcha.com/", b"cf-challenge", b"/cdn-cgi/challenge-platform",
                     b"cf_chl_", b"px-captcha", b"captcha-delivery.com", b"distil_r_captcha",
                     b"<title>just a moment...</title>", b"<title>attention required! | cloudflare</title>")


def blocked_sites(stats: dict[str, Any]) -> list[str]:
    """Sites the run stopped crawling because they were blocking it."""
    return sorted(key.split("/")[2] for key, value in stats.items()
                  if key.startswith("newsarchive/site/") and key.endswith("/blocked") and value)


def body_head(response: Response, limit: int = 65536) -> bytes:
    """The first `limit` bytes of the body, decoded (response_downloaded sees it still content-encoded); only
    that prefix is ever inflated, so a decompression bomb costs no memory here. b"" when it does not decode."""
    kept, undo = decodable_codings(content_codings(response.headers.getlist(b"Content-Encoding")))
    return b"" if kept else decoded_prefix(response.body, undo, limit)


def is_challenge(response: Response) -> bool:
    """A captcha or bot-check page, whatever its status."""
    if b"html" not in (response.headers.get(b"Content-Type") or b""):
        return False
    head = body_head(response).lower()
    return any(marker in head for marker in CHALLENGE_MARKERS)


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or HTTP-date); None when absent or bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def robots_delay(robotparser: Any, user_agent: str) -> float | None:
    """Seconds between requests that robots.txt asks for: `Crawl-delay`, or `Request-rate` (n/Ts) if slower."""
    delays = [robotparser.crawl_delay(user_agent)]
    protego = getattr(robotparser, "rp", None)  # Request-rate only through Protego (ROBOTSTXT_PARSER)
    rate = protego.request_rate(user_agent) if hasattr(protego, "request_rate") else None
    if rate and rate.requests:
        delays.append(rate.seconds / rate.requests)
    return max((float(d) for d in delays if d), default=None)


def apply_floor(slot: Slot, floor: float) -> None:
    """Raise the slot's delay to `floor`, and narrow its jitter so no randomized delay goes below it."""
    if slot.delay < floor:
        slot.delay = floor
    if floor and slot.delay * (1 - slot.jitter) < floor:
        slot.jitter = 1 - floor / slot.delay


class BanDetector:
    """Blocks a site once `threshold` of its last 2×`threshold` responses were ban-like.

    A window rather than a streak: a site that walls off its articles but still serves its section pages
    interleaves good and bad responses, and is still blocking us.
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.recent: dict[str, deque[bool]] = {}
        self.blocked: set[str] = set()

    def observe(self, site: str, ban_like: bool) -> bool:
        """Record one response; True when this one blocks the site."""
        if not self.threshold or site in self.blocked:
            return False
        recent = self.recent.setdefault(site, deque(maxlen=2 * self.threshold))
        recent.append(ban_like)
        if sum(recent) < self.threshold:
            return False
        self.blocked.add(site)
        return True


class PolitenessMiddleware:
    """See module docstring. Settings: CRAWL_DELAY_MAX, RETRY_AFTER_MAX, BAN_THRESHOLD, DOWNLOAD_SLOTS."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.floors: dict[str, float] = {key: float(slot.get("delay") or 0)
                                         for key, slot in settings.getdict("DOWNLOAD_SLOTS").items()}
        self.crawl_delay_max = settings.getfloat("CRAWL_DELAY_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")
        self.bans = BanDetector(settings.getint("BAN_THRESHOLD"))
        self.default_delay = settings.getfloat("DOWNLOAD_DELAY")
        run = shared_run_of(crawler)
        self.shared: SharedPoliteness | None = run.politeness if run is not None else None
        setattr(crawler, POLITENESS_ATTRIBUTE, self)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(middleware.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def process_request(self, request: Request) -> None:
        site = site_of(request)
        if site is not None and site not in self.bans.blocked and self.shared is not None \
                and self.shared.blocked(site):
            self.bans.blocked.add(site)
            self.crawler.stats.set_value(site_stat(site, "blocked"), 1)
            log.warning("site %s is blocking the crawl (another worker found it): its remaining requests are "
                        "dropped", site)
        if site in self.bans.blocked:
            self.crawler.stats.inc_value(site_stat(site, "dropped_blocked"))
            raise IgnoreRequest(f"site {site} is blocking the crawler")

    def interval(self, key: str) -> float:
        """Seconds between two requests to a download slot (host): its floor, else DOWNLOAD_DELAY."""
        return self.floors.get(key, self.default_delay)

    def _pace(self, key: str, slot: Slot) -> None:
        """The slot's delay: the floor locally; nothing in a shared crawl (the gate paces every worker)."""
        if self.shared is not None:
            slot.delay = 0
        elif key in self.floors:
            apply_floor(slot, self.floors[key])

    def _slot(self, request: Request) -> tuple[str, Slot | None]:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        """What robots.txt asks of our user agent becomes the host's floor (capped, never lowered)."""
        delay = robots_delay(robotparser, self.crawler.settings.get("USER_AGENT"))
        if not delay:
            return
        key, slot = self._slot(request)
        if delay > self.crawl_delay_max:
            log.warning("%s asks for Crawl-delay %s s; using CRAWL_DELAY_MAX %s s", key, delay, self.crawl_delay_max)
            delay = self.crawl_delay_max
        self.floors[key] = max(self.floors.get(key, 0.0), float(delay))
        log.info("robots.txt of %s: %s s between requests honoured", key, self.floors[key])
        if self.shared is not None:  # robots.txt itself just went by on the host's old interval
            self.shared.hold(key, self.floors[key])
        if slot is not None:
            self._pace(key, slot)

    def request_reached_downloader(self, request: Request) -> None:
        key, slot = self._slot(request)
        if slot is not None:
            self._pace(key, slot)

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Runs after AutoThrottle's handler (extensions connect first) and before the slot's next request."""
        key, slot = self._slot(request)
        if slot is not None:
            self._pace(key, slot)
        if response.status in RETRY_AFTER_STATUSES:
            self._back_off(key, slot, response)
        site = site_of(request)
        if site is None:
            return
        self.crawler.stats.inc_value(site_stat(site, "fetched"))
        # Judged here, not in process_response: by then the following requests may already be on the wire.
        if self.bans.observe(site, response.status in BAN_STATUSES or is_challenge(response)):
            self.crawler.stats.set_value(site_stat(site, "blocked"), 1)
            if self.shared is not None:
                self.shared.block(site)
            self._drop_queued(site)
            log.warning("site %s is blocking the crawler (%d of its last %d responses were 403/429/captcha): its "
                        "remaining requests are dropped; try again later or with a larger delay", site,
                        self.bans.threshold, 2 * self.bans.threshold,
                        extra={"event": "site_blocked", "site": site, "url": response.url})

    def _drop_queued(self, site: str) -> None:
        """Fail the site's requests already waiting in downloader slots (past process_request)."""
        for slot in self.crawler.engine.downloader.slots.values():
            waiting, slot.queue = slot.queue, deque()
            for request, deferred in waiting:
                if site_of(request) == site:
                    self.crawler.stats.inc_value(site_stat(site, "dropped_blocked"))
                    deferred.errback(IgnoreRequest(f"site {site} is blocking the crawler"))
                else:
                    slot.queue.append((request, deferred))

    def _back_off(self, key: str, slot: Slot | None, response: Response) -> None:
        seconds = retry_after_seconds(response.headers.get(b"Retry-After"))
        if seconds is None or slot is None:
            return
        seconds = min(seconds, self.retry_after_max)
        if self.shared is not None:
            self.shared.hold(key, seconds)  # every worker's next turn waits
        else:
            slot.lastseen = max(slot.lastseen, monotonic() + seconds)  # the slot waits its delay after this moment
            apply_floor(slot, MIN_BACKOFF_DELAY)  # the downloader only looks at lastseen when the delay is not 0
        self.crawler.stats.inc_value("newsarchive/retry_after")
        log.info("%s answered %d with Retry-After: holding %s back for %.0f s", response.url, response.status, key,
                 seconds, extra={"event": "retry_after", "site": site_of(response.request) if response.request
                                 else None, "url": response.url})


def site_of(request: Request) -> str | None:
    return (request.meta.get("newsarchive") or {}).get("site")


def politeness_of(crawler: Crawler) -> PolitenessMiddleware | None:
    return getattr(crawler, POLITENESS_ATTRIBUTE, None)


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
