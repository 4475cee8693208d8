"""How the demo site answers, where a crawler cares, like a real news CDN: Content-Length (keep-alive safe), gzip
negotiated (a stored gzip member sent as-is), a strong validator per variant and 304s, 301s, and feeds streamed
chunked. What is answered to which path is the server's business (crawler/demo/server.py).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler

CHUNK_SIZE = 4096


def http_date(rfc3339: str) -> str:
    """RFC 3339 UTC timestamp to an HTTP-date header value."""
    return format_datetime(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")), usegmt=True)


class CdnResponses(BaseHTTPRequestHandler):
    """A request handler's ways of answering (see module docstring)."""

    protocol_version = "HTTP/1.1"
    server_version = "demo-news/1.0"
    timeout = 30  # drop idle keep-alive connections
    # Headers and body go out in separate writes; without TCP_NODELAY each response waits ~40 ms for the
    # client's delayed ACK, which would make the crawl benchmark measure the server, not the crawler.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    def _accepts_gzip(self) -> bool:
        """True unless the client did not ask for gzip or refused it with q=0."""
        for part in self.headers.get("Accept-Encoding", "").split(","):
            coding, _, params = part.strip().partition(";")
            if coding.strip().lower() in ("gzip", "x-gzip", "*"):
                return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
        return False

    def _redirect(self, location: str) -> None:
        """A 301 to `location`, with the short HTML body servers send along."""
        body = f'<html><body>Moved to <a href="{location}">{location}</a></body></html>\n'.encode()
        self._send(
            301,
            body,
            "text/html; charset=utf-8",
            cache="public, max-age=3600",
            headers=[("Location", location)],
        )

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        *,
        gzip_body: bytes | None = None,
        compress: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
        cache: str,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Send a response with Content-Length (keep-alive safe), negotiating gzip and answering 304s."""
        negotiable = gzip_body is not None or compress
        if negotiable and self._accepts_gzip():
            body = gzip_body if gzip_body is not None else gzip.compress(body, compresslevel=6, mtime=0)
            encoding = "gzip"
            if etag:
                etag = etag[:-1] + '-gzip"'  # a variant gets its own strong validator (as Apache does)
        else:
            encoding = None
        not_modified = etag is not None and etag in self.headers.get("If-None-Match", "")
        self.send_response(304 if not_modified else status)
        if not not_modified:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if encoding:
                self.send_header("Content-Encoding", encoding)
        if negotiable:
            self.send_header("Vary", "Accept-Encoding")
        if etag:
            self.send_header("ETag", etag)
        if last_modified:
            self.send_header("Last-Modified", last_modified)
        self.send_header("Cache-Control", cache)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and not not_modified:
            self.wfile.write(body)

    def _send_chunked(self, body: bytes, content_type: str, *, last_modified: str) -> None:
        """Stream with Transfer-Encoding: chunked, as dynamic feed endpoints often do (HTTP/1.1 only)."""
        if self.request_version == "HTTP/1.0":
            self._send(200, body, content_type, cache="public, max-age=60")
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Last-Modified", last_modified)
        self.send_header("Cache-Control", "public, max-age=60")
        self.end_headers()
        if self.command == "HEAD":
            return
        for start in range(0, len(body), CHUNK_SIZE):
            chunk = body[start : start + CHUNK_SIZE]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
