"""The settings a crawl needs when one of its sites has `render: true`; nothing changes for a crawl without one.

scrapy-playwright's download handler (with a deadline per page, crawler/render/handler.py) takes http(s) (it
hands every request without `meta["playwright"]` to Scrapy's own handler), and Chromium is the one CHROMIUM_PATH
names, else `chromium` on PATH (the Debian package, on machines where Playwright cannot download its own build),
else Playwright's download.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from crawler.sites import Site

HANDLER = "crawler.render.handler.BoundedPlaywrightHandler"
MIDDLEWARE = "crawler.render.middleware.RenderMiddleware"
MIDDLEWARE_ORDER = 950  # after retries (550) and decoding (590), before the capture time stamp (1000)
INSTALL_HINT = "pip install 'newsarchive[render]'"
# Headless and quiet: no background traffic of Chromium's own (it would pass no route of ours), no WebRTC to
# non-proxied (local) addresses, no sandbox (containers run as root; the page is still isolated by its process).
CHROMIUM_ARGS = ("--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--no-sandbox", "--disable-dev-shm-usage",
                 "--force-webrtc-ip-handling-policy=disable_non_proxied_udp")


class RenderUnavailable(ValueError):
    """A site asks for rendering that this machine cannot do; one line naming the fix."""


def chromium_path(configured: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """The Chromium to launch: CHROMIUM_PATH, else `chromium` on PATH, else None when Playwright downloaded its own;
    RenderUnavailable when there is none."""
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise RenderUnavailable(f"NEWSARCHIVE_CHROMIUM_PATH={configured}: no executable there — install "
                                    "Chromium (apt-get install chromium) or point it at one")
        return configured
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    downloads = Path(environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    if not any(downloads.glob("chromium*")):
        raise RenderUnavailable("no Chromium to render pages with: install one (apt-get install chromium) and set "
                                "NEWSARCHIVE_CHROMIUM_PATH if it is not on PATH as `chromium`")
    return None


def render_settings(sites: Iterable[Site], settings: Any) -> dict[str, Any]:
    """Settings to add for this crawl (empty when no site renders); RenderUnavailable when it cannot render."""
    rendered = [site.name for site in sites if site.render]
    if not rendered:
        return {}
    if importlib.util.find_spec("scrapy_playwright") is None:
        raise RenderUnavailable(f"site '{rendered[0]}' has render: true, but scrapy-playwright is not installed "
                                f"— {INSTALL_HINT}")
    heap_mib = max(16, settings.getint("RENDER_JS_HEAP") // (1024 * 1024))
    launch: dict[str, Any] = {"headless": True, "args": [*CHROMIUM_ARGS, f"--js-flags=--max-old-space-size={heap_mib}"]}
    executable = chromium_path(settings.get("CHROMIUM_PATH") or "")
    if executable:
        launch["executable_path"] = executable
    handlers = {**settings.getdict("DOWNLOAD_HANDLERS"), "http": HANDLER, "https": HANDLER}
    return {
        "DOWNLOAD_HANDLERS": handlers,
        "DOWNLOADER_MIDDLEWARES": {**settings.getdict("DOWNLOADER_MIDDLEWARES"), MIDDLEWARE: MIDDLEWARE_ORDER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": settings.getfloat("RENDER_PAGE_TIMEOUT") * 1000,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
        # A navigation timeout, a crashed page, a browser that went away, a page past its deadline: retried like a
        # network error.
        "RETRY_EXCEPTIONS": [*settings.getlist("RETRY_EXCEPTIONS"), "playwright.async_api.Error",
                             "crawler.render.handler.RenderDeadline"],
    }
