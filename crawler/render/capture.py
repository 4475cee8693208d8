"""Every exchange a rendered page makes, archived as it completes, through the crawl's WARC capture.

Playwright reports each response (`page.on("response")`) with the request headers the browser sent, the status,
the response headers as received, the server's address and — once loaded — the body. The body comes decoded
(Chromium removed any content coding), so it is stored decoded: `Content-Encoding` is kept as
`X-Orig-Content-Encoding` and `Content-Length` is the stored length (pipelines.warc.records.stored_decoded).
Each exchange is written (and flushed) as soon as its body is in, so a browser crash later loses none of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import Response as PageResponse
from scrapy import Request
from scrapy.crawler import Crawler

from crawler.extensions.warc_capture import ARCHIVED_SCHEMES, WarcCaptureExtension, exchange_is_conditional
from crawler.resolver import GuardedResolver, ip_literal
from pipelines.warc.records import Exchange, HeaderList, stored_decoded

log = logging.getLogger(__name__)


def header_pairs(headers: Iterable[dict[str, str]]) -> HeaderList:
    """Playwright's `headers_array()` ({name, value} in received order, repeats kept) as WARC header bytes."""
    return [(h["name"].encode("latin-1", "replace"), h["value"].encode("latin-1", "replace")) for h in headers]


def declared_length(headers: HeaderList) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            with suppress(ValueError):
                return int(value)
    return None


class PageCapture:
    """The exchanges of one rendered page: written as they complete; knows which one is the page's document."""

    def __init__(self, crawler: Crawler, capture: WarcCaptureExtension, resolver: GuardedResolver, *,
                 request: Request, page_fields: list[tuple[str, str]]) -> None:
        self.crawler = crawler
        self.capture = capture
        self.resolver = resolver
        self.page_url = request.url
        # The page's request holds every exchange's WARC open for records (its own is built from the document);
        # weakly: the request holds this capture in its meta.
        self.request = weakref.ref(request)
        self.page_fields = page_fields  # what the crawl knew about the page (discovery, referer): for its document
        self.browser = "chromium"
        settings = crawler.settings
        self.max_body = settings.getint("RENDER_MAX_RESOURCE_SIZE")
        self.max_exchanges = settings.getint("RENDER_MAX_RESOURCES")
        self.body_timeout = settings.getfloat("RENDER_PAGE_TIMEOUT")
        self.seen = 0  # exchanges this page started (the cap counts them; blocked ones are not archived)
        self.pending: set[asyncio.Task[None]] = set()
        self.document: dict[str, Any] | None = None  # the warc pointer of the main frame's last document
        self.page: Page | None = None
        self.started = time.monotonic()  # when the page was set up, just before its navigation (attach)
        self.guarded = False  # set once the page's route guard is in place (crawler/render/middleware.py)

    def attach(self, page: Page) -> None:
        self.page = page
        self.started = time.monotonic()
        browser = page.context.browser
        if browser is not None:
            self.browser = f"{browser.browser_type.name} {browser.version}"
        page.on("response", self.on_response)
        page.on("crash", self.on_crash)

    def on_crash(self, page: Page) -> None:
        """The page's renderer died (out of memory, a Chromium bug): what was archived stays; the request fails."""
        self.count("render/crashes")
        log.warning("rendered page %s crashed; its exchanges so far are archived, the page is retried",
                    ascii(self.page_url[:200]))

    def over_budget(self) -> bool:
        """One more exchange would pass RENDER_MAX_RESOURCES (the route guard blocks it)."""
        self.seen += 1
        return bool(self.max_exchanges) and self.seen > self.max_exchanges

    def on_response(self, response: PageResponse) -> None:
        """Playwright's event handler (sync): the body is awaited in a task the page waits for before its DOM is
        taken (`settled`)."""
        task = asyncio.ensure_future(self.archive(response))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def settled(self, timeout: float) -> None:
        """Wait (at most `timeout` seconds) until every exchange seen so far is archived."""
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=timeout)

    async def archive(self, response: PageResponse) -> None:
        try:
            exchange = await self.exchange(response)
        except PlaywrightError as error:  # the page, its context or the browser went away: nothing to archive
            self.count("render/lost_exchanges")
            log.debug("rendered exchange of %s lost: %s", response.url, error)
            return
        if exchange is None:
            return
        request = response.request
        page = self.page
        document = request.is_navigation_request() and page is not None and response.frame == page.main_frame
        fields = [*(self.page_fields if document else []), ("rendered", self.browser), ("page", self.page_url),
                  ("resourceType", request.resource_type)]
        # None once the page's request is gone (the crawl dropped it): the exchange is archived all the same, and
        # no record can come of it, so no records file waits for it.
        holder = self.request()
        warc = self.capture.archive(lambda: exchange, fields, conditional=exchange_is_conditional(
            exchange.request_headers), what=f"{exchange.method} {exchange.url} (rendered {self.page_url})",
            holder=holder)
        if warc is None:
            return
        self.count("render/exchanges")
        if document and not 300 <= response.status < 400:
            self.document = warc

    async def exchange(self, response: PageResponse) -> Exchange | None:
        """The exchange as the browser saw it, or None when it is not to be archived (not http(s), or answered
        from an address the network guard refuses)."""
        request = response.request
        url = response.url.split("#", 1)[0]
        if urlsplit(url).scheme not in ARCHIVED_SCHEMES:
            return None
        date = datetime.now(UTC)
        server = await response.server_addr()
        address = ip_literal(server["ipAddress"]) if server else None
        host = urlsplit(url).hostname or ""
        if address is not None and not self.resolver.permits(host, address):
            self.count("render/refused_at_connect")
            log.warning("rendered %s: %s was answered from non-public %s; not archived", self.page_url,
                        ascii(url[:200]), address)
            return None
        request_headers = header_pairs(await request.headers_array())
        response_headers = header_pairs(await response.headers_array())
        body, truncated = await self.body(response, response_headers)
        return Exchange(
            url=url,
            method=request.method,
            request_headers=request_headers,
            request_body=request.post_data_buffer or b"",
            status=response.status,
            response_headers=stored_decoded(response_headers),
            body=body,
            protocol=None,  # Playwright does not say which HTTP version was spoken
            ip_address=str(address) if address else None,
            date=date,
            truncated=truncated,
        )

    async def body(self, response: PageResponse, headers: HeaderList) -> tuple[bytes, str | None]:
        """(body, WARC-Truncated reason): empty for redirects and bodiless answers; cut at RENDER_MAX_RESOURCE_SIZE.

        A body declared longer than the cap is not read at all (Playwright would hold all of it in memory)."""
        if 300 <= response.status < 400 or response.status in (204, 304) or response.request.method == "HEAD":
            return b"", None
        declared = declared_length(headers)
        if self.max_body and declared is not None and declared > self.max_body:
            self.count("render/cut_bodies")
            return b"", "length"
        try:
            body = await asyncio.wait_for(response.body(), timeout=self.body_timeout)
        except TimeoutError:
            self.count("render/cut_bodies")
            return b"", "time"
        except PlaywrightError:  # e.g. a response the page cancelled, or evicted from the browser's memory
            self.count("render/unavailable_bodies")
            return b"", "unspecified"
        if self.max_body and len(body) > self.max_body:
            self.count("render/cut_bodies")
            return body[: self.max_body], "length"
        return body, None

    def count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/{key}")
