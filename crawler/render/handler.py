"""scrapy-playwright's download handler with a deadline on each rendered page.

Scrapy's DOWNLOAD_TIMEOUT does not reach a download handler's coroutine, and Playwright's own timeouts cover
navigation and waits, not every call: a browser killed while a page was being created left `new_page()` waiting
forever (seen in tests/test_render.py), and with it the crawl. So the whole page download — page, navigation,
settling, DOM — gets one deadline; past it the request fails with RenderDeadline, which is retried like a timeout.
And the page methods run without scrapy-playwright's wait for the load event after each (`_apply_page_methods`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Page
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class RenderDeadline(Exception):
    """A rendered page took longer than its deadline (RENDER_PAGE_TIMEOUT and RENDER_SETTLE_TIME, with slack)."""


def page_deadline(settings: Any) -> float:
    """Navigation and settling, twice (scrapy-playwright retries a page whose browser went away), plus slack."""
    return 2 * (settings.getfloat("RENDER_PAGE_TIMEOUT") + settings.getfloat("RENDER_SETTLE_TIME")) + 10


class BoundedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """See the module docstring; requests without `meta["playwright"]` go to Scrapy's handler as before."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.deadline = page_deadline(crawler.settings)

    async def _apply_page_methods(self, page: Page, request: Request, spider: Any) -> None:
        """scrapy-playwright (0.0.48) waits for the load event after every page method, failing a page whose load
        event never comes. The one page method here (`settle`, crawler/render/middleware.py) waits for it itself,
        bounded, so that a page whose image or tracker never answers is taken as it is: it runs alone."""
        for method in request.meta.get("playwright_page_methods") or ():
            method.result = await method.method(page, *method.args, **method.kwargs)

    async def download_request(self, request: Request, spider: Any = None) -> Response:  # type: ignore[override]
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        try:
            return await asyncio.wait_for(super().download_request(request), timeout=self.deadline)
        except TimeoutError:
            raise RenderDeadline(f"rendering took longer than {self.deadline:g} s") from None
