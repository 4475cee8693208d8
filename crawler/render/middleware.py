"""Downloader middleware for sites with `render: true`: their pages go through headless Chromium (scrapy-playwright).

The spider marks a render site's page requests (`meta["render"]`); here, just before the download handler, they
get what scrapy-playwright needs — a browser context of their site, the page set-up that archives every exchange
(crawler/render/capture.py) behind the in-browser network guard (crawler/render/guard.py), and the wait for the
page to settle — all objects that live only for this download (taken out again if it fails, so a retried request
carries plain data). The response that comes back is the rendered DOM: it is never archived as a response (the
WARC capture skips it), its `warc` pointer is the page's document exchange, and its record says `rendered: true`.

Bounds per page: RENDER_PAGE_TIMEOUT for the navigation (the document parsed; the load event within it, or the
page is taken without), RENDER_SETTLE_TIME for the network to go quiet,
RENDER_MAX_RESOURCES exchanges, RENDER_MAX_RESOURCE_SIZE per body, RENDER_JS_HEAP of JavaScript memory; a site's
context is replaced after RENDER_PAGES_PER_CONTEXT pages (crawler/render/contexts.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from functools import partial
from typing import Self

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy_playwright.page import PageMethod

from crawler.extensions.warc_capture import RENDERED_FLAG, WarcCaptureExtension, capture_extension, capture_fields
from crawler.render.capture import PageCapture
from crawler.render.contexts import ContextPool
from crawler.render.guard import PageGuard
from crawler.resolver import GuardedResolver, installed_resolver

log = logging.getLogger(__name__)

# Keys of the download's live objects in request.meta (never scheduled: a retry gets new ones).
LIVE_KEYS = ("render_capture", "playwright_page_init_callback", "playwright_page_methods", "playwright_context_kwargs")


async def init_page(page: Page, request: Request) -> None:
    """scrapy-playwright's page init callback: attach the capture and the guard before the page navigates.

    A route added here runs before scrapy-playwright's own (Playwright tries the newest first)."""
    capture: PageCapture = request.meta["render_capture"]
    capture.attach(page)
    guard = PageGuard(capture)
    await page.route("**/*", guard.route)
    await page.route_web_socket("**/*", guard.websocket)
    capture.guarded = True


async def settle(page: Page, capture: PageCapture, *, load_within: float, quiet_for: float) -> None:
    """Once the document is parsed: wait (bounded) for the load event, then for the network to go quiet, then for
    the exchanges to be archived. The load event gets what is left of RENDER_PAGE_TIMEOUT: a page whose image or
    tracker never answers has its text all the same, and is taken as it is then."""
    left = load_within - (time.monotonic() - capture.started)
    if left > 0:
        with suppress(PlaywrightError):
            await page.wait_for_load_state("load", timeout=left * 1000)
    with suppress(PlaywrightError):  # a page that keeps polling never goes idle: take it as it is then
        await page.wait_for_load_state("networkidle", timeout=quiet_for * 1000)
    await capture.settled(timeout=quiet_for)


class WithoutTraceback(logging.Filter):
    """scrapy-playwright logs every failed page with its traceback; a page that crashed or timed out is an expected
    event here, reported in one line (and counted) by RenderMiddleware."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


class RenderMiddleware:
    """See the module docstring."""

    def __init__(self, crawler: Crawler, capture: WarcCaptureExtension, resolver: GuardedResolver) -> None:
        self.crawler = crawler
        self.capture = capture
        self.resolver = resolver
        settings = crawler.settings
        self.settle_time = settings.getfloat("RENDER_SETTLE_TIME")
        self.page_timeout = settings.getfloat("RENDER_PAGE_TIMEOUT")
        self.contexts = ContextPool(settings.getint("RENDER_PAGES_PER_CONTEXT"), {
            "user_agent": settings.get("USER_AGENT"),
            "service_workers": "block",  # a service worker's fetches would pass the page's route and capture
            "accept_downloads": False,
            "java_script_enabled": True,
        })

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        logging.getLogger("scrapy-playwright").addFilter(WithoutTraceback())
        capture = capture_extension(crawler)
        if capture is None:
            raise NotConfigured("rendering archives through the WARC capture, which is off")
        return cls(crawler, capture, installed_resolver(crawler))

    def process_request(self, request: Request, spider: object = None) -> None:
        if not request.meta.get("render"):
            return
        site = (request.meta.get("newsarchive") or {}).get("site") or "default"
        capture = PageCapture(self.crawler, self.capture, self.resolver, request=request,
                              page_fields=capture_fields(request))
        name, kwargs = self.contexts.take(site)
        request.meta.update({
            "playwright": True,
            "playwright_context": name,
            "playwright_context_kwargs": kwargs,
            "playwright_page_init_callback": init_page,
            "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
            "playwright_page_methods": [PageMethod(partial(settle, capture=capture, load_within=self.page_timeout,
                                                           quiet_for=self.settle_time))],
            "render_capture": capture,
        })

    async def process_response(self, request: Request, response: Response, spider: object = None) -> Response:
        capture: PageCapture | None = request.meta.get("render_capture")
        if capture is None or RENDERED_FLAG not in response.flags:
            return response
        await self.finished(request, capture)
        if not capture.guarded:  # the page set-up failed (logged by scrapy-playwright): nothing was archived
            self.count("render/failures")
            log.error("rendered page %s: the capture could not be attached; page not used", request.url)
            request.meta.pop("warc", None)
            return response
        self.count("render/pages")
        if capture.document is None:
            self.count("render/no_document")
            log.warning("rendered page %s: its document exchange was not archived; no record", request.url)
            request.meta.pop("warc", None)
        else:
            request.meta["warc"] = capture.document
        request.meta["rendered"] = True
        return response

    async def process_exception(self, request: Request, exception: BaseException, spider: object = None) -> None:
        capture: PageCapture | None = request.meta.get("render_capture")
        if capture is None:
            return
        self.count("render/failures")
        log.info("rendered page %s failed: %s", request.url, exception)
        await self.finished(request, capture)

    async def finished(self, request: Request, capture: PageCapture) -> None:
        """The page is done: drop its live objects, let writes in flight land, retire an old context."""
        for key in LIVE_KEYS:
            request.meta.pop(key, None)
        await capture.settled(timeout=1.0)
        page = capture.page
        if page is not None and not page.is_closed():  # a failed page that scrapy-playwright did not close
            with suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(page.close(), timeout=10)
        stale = self.contexts.release(request.meta.get("playwright_context", ""))
        if stale and page is not None:
            with suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(page.context.close(), timeout=10)

    def count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/{key}")
