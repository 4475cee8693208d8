"""A small, slow news site for interrupt tests: a homepage linking N articles, each answered after a delay, with a
log of every request. One article can be held (answered only when released) so a signal lands while a request
is in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.hostile.server import article_html


@dataclass
class SlowSite:
    articles: int = 60
    delay: float = 0.5
    hold: int | str | None = None                # this article (or path) waits for `released`
    hold_from: int | None = None                 # ... and so does every article from this one on
    hold_seconds: float = 30.0                   # at most this long
    heavy: int | None = None                     # this article is a 6 MB page: its extraction takes seconds
    heavy_served: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    hits: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def article_path(self, i: int) -> str:
        return f"/news/2026/05/{1 + i % 28:02d}/council-story-{i}"

    def article_urls(self) -> list[str]:
        return [self.base_url + self.article_path(i) for i in range(self.articles)]

    def fetched(self, since: float = 0.0) -> list[str]:
        with self.lock:
            return [self.base_url + path for at, path in self.hits if at >= since and "/news/" in path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        with site.lock:
            site.hits.append((time.time(), self.path))
        if self.path == site.hold:
            site.held.set()
            site.released.wait(site.hold_seconds)
        if self.path == "/":
            links = "".join(f'<li><a href="{site.article_path(i)}">Council story number {i}</a></li>'
                            for i in range(site.articles))
            body = f"<html><head><title>Slow Gazette</title></head><body><ul>{links}</ul></body></html>".encode()
        elif self.path.startswith("/news/"):
            number = int(self.path.rsplit("-", 1)[-1])
            if number == site.hold or (site.hold_from is not None and number >= site.hold_from):
                site.held.set()
                site.released.wait(site.hold_seconds)
            time.sleep(site.delay)
            extra = "".join(f"<p>Paragraph {i} of the council's long report on the harbour, the budget and the "
                            f"consultation that residents asked for before any work begins.</p>" for i in range(40000))
            body = article_html(f"slow-{number}", body_extra=extra if number == site.heavy else "").encode()
            if number == site.heavy:
                site.heavy_served.set()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(OSError):
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: SlowSite


@contextmanager
def serve_slow_site(site: SlowSite) -> Iterator[SlowSite]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = site
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.released.set()
        server.shutdown()
        server.server_close()
