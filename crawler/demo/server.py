"""A local HTTP server for the bundled demo news site (the `newsarchive demo` command, e2e tests, benchmark).

Stdlib only (ThreadingHTTPServer, HTTP/1.1 keep-alive) so it starts in milliseconds and needs no network.
It behaves like a real news CDN where the crawler cares: gzip negotiation, validators (ETag,
Last-Modified, 304), cookies, a 301 from a legacy URL, 404s, a chunked response and robots.txt. How a response
goes out is crawler/demo/responses.py; here: which path gets what, and the server's life.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

import yaml

from crawler.demo import render
from crawler.demo.catalog import (
    ARTICLE_PATTERN,
    SECTIONS,
    Catalog,
    DemoArticle,
    ServedArticle,
    demo_articles_at,
)
from crawler.demo.responses import CdnResponses, http_date

log = logging.getLogger(__name__)

_HOST_RE = re.compile(r"[A-Za-z0-9.\-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?")
_SECTION_RE = re.compile(r"/(" + "|".join(SECTIONS) + r")/(?:page/(\d+)/)?")
_STORY_RE = re.compile(r"/story/(\d+)")


class _DemoServer(ThreadingHTTPServer):
    """Threaded server that remembers open connections so shutdown can close idle keep-alive sockets."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], catalog: Catalog) -> None:
        super().__init__(address, _Handler)
        self.catalog = catalog
        self.last_modified = http_date(max(a.page.published for a in catalog.originals))
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def track(self, conn: socket.socket, *, open_: bool) -> None:
        """Register or forget a client connection."""
        with self._lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections so they exit."""
        with self._lock:
            for conn in self._connections:
                with suppress(OSError):  # already closed by the client
                    conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-response are routine for a crawler target; log, never print tracebacks."""
        log.debug("demo site: error serving %s", client_address, exc_info=True)


class _Handler(CdnResponses):
    """Routes one request to the catalog or the renderer."""

    server: _DemoServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("demo site: " + format, *args)

    def do_GET(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    # -- routing -----------------------------------------------------------------------------------

    def _base(self) -> str:
        """Origin the client used (Host header), so generated absolute URLs match its port."""
        host = self.headers.get("Host", "")
        if not _HOST_RE.fullmatch(host):
            address, port = self.server.server_address[:2]
            host = f"{address}:{port}"
        return f"http://{host}"

    def _route(self) -> None:
        path = urlsplit(self.path).path
        base, catalog = self._base(), self.server.catalog
        if path == "/":
            self._send_generated(render.homepage(base, catalog), "text/html", cookies=True)
        elif path == "/robots.txt":
            self._send_generated(render.robots_txt(base), "text/plain")
        elif path == "/sitemap.xml":
            self._send_generated(render.news_sitemap(base, catalog), "application/xml")
        elif path == "/feed.xml":
            self._send_chunked(render.rss_feed(base, catalog).encode(), "application/rss+xml; charset=utf-8",
                               last_modified=self.server.last_modified)
        elif path.startswith("/private/"):
            self._send_generated(render.private_page(), "text/html")
        elif article := catalog.by_path.get(path):
            self._send_article(article)
        elif (story := _STORY_RE.fullmatch(path)) and (target := catalog.redirect_target(int(story[1]))):
            self._redirect(base + target.path)
        elif path.strip("/") in SECTIONS and not path.endswith("/"):
            self._redirect(base + path + "/")
        elif (listing := _SECTION_RE.fullmatch(path)) and (
            html := render.section_page(base, catalog, listing[1], int(listing[2] or 1))
        ):
            self._send_generated(html, "text/html")
        else:
            self._send(404, render.not_found_page().encode(), "text/html; charset=utf-8", cache="no-cache")

    # -- responses ---------------------------------------------------------------------------------

    def _send_article(self, article: ServedArticle) -> None:
        """A real page, byte for byte; the stored gzip member is sent as-is when accepted."""
        page = article.page
        self._send(
            200,
            page.body,
            f"text/html; charset={page.charset}",
            gzip_body=page.body_gzip,
            etag=article.etag,
            last_modified=http_date(page.published),
            cache="public, max-age=600",
        )

    def _send_generated(self, text: str, media_type: str, *, cookies: bool = False) -> None:
        """A generated page: validators from its content; the homepage also sets cookies."""
        body = text.encode()
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'
        extra = []
        if cookies:
            extra = [
                ("Set-Cookie", f"dn_session={secrets.token_hex(8)}; Path=/; HttpOnly; SameSite=Lax"),
                ("Set-Cookie", "dn_consent=pending; Path=/; Max-Age=31536000; SameSite=Lax"),
            ]
        self._send(
            200,
            body,
            f"{media_type}; charset=utf-8",
            gzip_body=None,
            compress=media_type != "text/plain",
            etag=etag,
            last_modified=self.server.last_modified,
            cache="private, max-age=0" if cookies else "public, max-age=60",
            headers=extra,
        )

@contextmanager
def serve_demo_site(host: str = "127.0.0.1", port: int = 0, *, copies: int = 1) -> Iterator[str]:
    """Serve the demo site in a background thread; yield its base URL like 'http://127.0.0.1:54321/'."""
    server = _DemoServer((host, port), Catalog(copies))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-site", daemon=True
    )
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    shown_host = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    try:
        yield f"http://{shown_host}:{bound_port}/"
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()


def demo_sites_yaml(base_url: str) -> str:
    """A sites file (YAML text) describing the served demo site, per the sites-file contract."""
    base = base_url.rstrip("/")
    site = {
        "name": "demo-news",
        "homepage": base + "/",
        "sections": [f"{base}/{s}/" for s in SECTIONS],
        "feeds": [base + "/feed.xml"],
        "sitemaps": [base + "/sitemap.xml"],
        "allowed_domains": [urlsplit(base_url).hostname or "127.0.0.1"],
        "article_patterns": [ARTICLE_PATTERN],
        "deny_patterns": ["/private/"],
        "language": "en",
        "delay": 0,
        "allow_private_network": True,
    }
    return yaml.safe_dump({"sites": [site]}, sort_keys=False, allow_unicode=True)


def demo_articles(base_url: str) -> list[DemoArticle]:
    """The article URLs served (copies=1), newest first, each with its expected title (for tests)."""
    return demo_articles_at(base_url)
