"""The network guard inside the browser: what a rendered page may load.

Chromium resolves and connects on its own, past the reactor's GuardedResolver, so every request a page makes is
routed through here first (`page.route`): only http(s), no host that stands only for non-public addresses unless
the site opted in (the resolver's own rule and cache, crawler/resolver.py), and at most RENDER_MAX_RESOURCES per
page. WebSockets are never opened (they are not archived). The address each response actually came from is
checked again before it is archived (crawler/render/capture.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from playwright.async_api import Request as PageRequest
from playwright.async_api import Route, WebSocketRoute
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.scope import SCHEMES

if TYPE_CHECKING:
    from crawler.render.capture import PageCapture

log = logging.getLogger(__name__)


class PageGuard:
    """The route handler of one rendered page; a refused request is aborted and counted, never archived."""

    def __init__(self, capture: PageCapture) -> None:
        self.capture = capture

    async def route(self, route: Route, request: PageRequest) -> None:
        reason = await self.refusal(request.url)
        if reason is None:
            await route.fallback()  # on to scrapy-playwright's handler (Scrapy's headers), then the network
            return
        self.capture.count(f"render/blocked/{reason}")
        log.debug("rendered %s: blocked %s (%s)", self.capture.page_url, ascii(request.url[:200]), reason)
        await route.abort("blockedbyclient")

    async def refusal(self, url: str) -> str | None:
        """Why the page may not load `url`, or None."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            return "scheme"
        if self.capture.over_budget():
            return "budget"
        verdict = await maybe_deferred_to_future(self.capture.resolver.check(parts.hostname or ""))
        if verdict.refused and not verdict.allowed:
            return "private_network"
        return None

    async def websocket(self, socket: WebSocketRoute) -> None:
        """Never connected to the server (a handler that does not call connect_to_server keeps it off the network)."""
        self.capture.count("render/blocked/websocket")
        await socket.close(code=1008, reason="not archived")
