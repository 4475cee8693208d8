"""A local site whose pages, feed, sitemap, robots.txt, redirects and meta refreshes point at URLs the crawler
must never request: file:// (a real local file holding a marker), ftp://, data:, javascript:, malformed URLs,
denied paths and private addresses; interleaved with good entries, so a test can tell the rest was fetched.
Every request it sees is logged; canary listeners log every connection to addresses that must stay untouched.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.serving import serving

ARTICLE = ("<p>The harbour board met on Tuesday to debate the cost of rebuilding the sea wall, and members said the "
           "budget set aside in spring would not cover the work planned for the winter months ahead.</p>") * 4


@dataclass
class Bad:
    """URLs for a site at `base` that must not be requested (`marker_file`: a local file they point at)."""

    base: str
    marker_file: Path
    ftp_port: int
    canary_port: int

    def urls(self) -> list[str]:
        file_uri = self.marker_file.as_uri()  # file:///tmp/.../marker.html
        path = self.marker_file.as_posix()
        netloc = self.base.split("://", 1)[1]
        return [  # [::1]@host: in scope to urllib, refused by Scrapy's URL normalisation (w3lib) with a ValueError
            file_uri, f"http://[::1]@{netloc}/news/userinfo-v6", f"file://localhost{path}",
            f"file://anyhost.example{path}", f"FILE://{path}",
            f"ftp://127.0.0.1:{self.ftp_port}/pub/file.txt", "data:text/html,<a href='/data-link'>x</a>",
            "javascript:alert(document.cookie)", "javascript:void(0)", "s3://bucket/key", "mailto:desk@example.org",
            f"http://127.0.0.2:{self.canary_port}/", f"http://[::ffff:127.0.0.2]:{self.canary_port}/",
            f"http://2130706434:{self.canary_port}/", "http://169.254.169.254/latest/meta-data/",
            f"{self.base}:99999/bad-port", "http://[::1/broken-bracket", "http://", "http:///no-host",
            f"{self.base}/control\x01char", f"{self.base}/huge/{'x' * 5000}", f"{self.base}/denied/secret-1",
            f" {file_uri}", f"view-source:{self.base}/news/view-source", "//169.254.169.254/latest/meta-data/",
        ]


@dataclass
class HostileSite:
    marker_file: Path
    ftp_port: int = 0
    canary_port: int = 0
    hits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    good: tuple[str, ...] = ()

    def paths(self) -> list[str]:
        with self.lock:
            return list(self.hits)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\x01", "&#1;")


def _attr(text: str) -> str:
    return _xml_escape(text).replace("'", "&#39;").replace('"', "&quot;")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        with site.lock:
            site.hits.append(self.path)
        base = f"http://{self.headers.get('Host')}"
        bad = Bad(base, site.marker_file, site.ftp_port, site.canary_port).urls()
        status, body, headers = self.route(urlsplit(self.path).path, base, bad)
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def route(self, path: str, base: str, bad: list[str]) -> tuple[int, bytes, dict[str, str]]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            lines = "".join(f"Sitemap: {url}\n" for url in bad[:6]) + f"Sitemap: {base}/sitemap.xml\n"
            return 200, f"User-agent: *\nAllow: /\n{lines}".encode(), {"Content-Type": "text/plain"}
        if path == "/":
            links = "".join(f"<a href='{_attr(url)}'>bad {i}</a>\n" for i, url in enumerate(bad))
            links += "".join(f"<a href='/redirect/{i}'>r{i}</a>\n" for i in range(len(bad)))
            links += "<a href='/refresh'>refresh</a><a href='/based'>based</a><a href='/news/page-1'>good</a>"
            head = (f"<link rel='canonical' href='{_attr(bad[0])}'>"
                    f"<link rel='alternate' type='application/rss+xml' href='/feed.xml'>"
                    f"<link rel='alternate' type='application/rss+xml' href='{_attr(bad[0])}'>"
                    f"<link rel='alternate' type='application/feed+json' href='/feed.json'>")
            return 200, f"<html><head>{head}</head><body>{links}</body></html>".encode(), html
        if path.startswith("/redirect/"):
            return 302, b"", {"Location": bad[int(path.rsplit("/", 1)[1])], "Content-Length": "0"}
        if path == "/refresh":
            return 200, f"<html><head><meta http-equiv='refresh' content='0; url={_attr(bad[0])}'></head></html>"\
                .encode(), html
        if path == "/based":  # relative links resolve against a file: base
            base_dir = self.server.site.marker_file.parent.as_uri() + "/"
            return 200, (f"<html><head><base href='{base_dir}'></head><body><a href='marker.html'>m</a>"
                         "</body></html>").encode(), html
        if path == "/feed.xml":
            # A character reference to a lone surrogate / past U+10FFFF made feedparser raise for the whole feed.
            items = [f"<item><title>bad &#xD800;</title><link>{base}/news/feed-ref&#xD800;&#1114112;</link></item>"]
            for i, url in enumerate(bad):
                items.append(f"<item><title>bad {i}</title><link>{_xml_escape(url)}</link></item>")
                items.append(f"<item><title>good {i}</title><link>{base}/news/feed-{i}</link></item>")
            body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{''.join(items)}</channel></rss>"
            return 200, body.encode(), {"Content-Type": "application/rss+xml"}
        if path == "/feed.json":
            # JSON can say "\ud800" (a lone surrogate, no URL); titles that are no string are no hints
            items = [{"url": f"{base}/news/lone-surrogate-\ud800"}]
            for i, url in enumerate(bad):
                items += [{"url": url, "title": {"not": "a string"}}, {"url": f"{base}/news/json-{i}", "title": "good"}]
            body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items})
            return 200, body.encode(), {"Content-Type": "application/feed+json"}
        if path == "/sitemap.xml":
            urls = []
            for i, url in enumerate(bad):  # a control character is not XML: the document would end there
                url = url.replace("\x01", "%01")
                urls.append(f"<url><loc>{_xml_escape(url)}</loc></url><url><loc>{base}/news/map-{i}</loc></url>")
            body = f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{''.join(urls)}</urlset>"
            return 200, body.encode(), {"Content-Type": "application/xml"}
        if path.startswith("/news/"):
            title = path.rsplit("/", 1)[1]
            return 200, (f"<html><head><title>{title}</title><meta property='og:type' content='article'></head>"
                         f"<body><article><h1>{title}</h1>{ARTICLE}</article></body></html>").encode(), html
        return 404, b"<html><body>not found</body></html>", html


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: HostileSite) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site


@dataclass
class Canary:
    """A TCP listener that records every connection made to it (and answers nothing)."""

    address: str
    port: int
    connections: list[str] = field(default_factory=list)


class _CanaryHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.canary.connections.append(str(self.client_address))  # type: ignore[attr-defined]


@contextmanager
def canaries(addresses: list[str], port: int = 0) -> Iterator[list[Canary]]:
    """Listeners on each address (all on one port, a free one if 0); addresses that cannot be bound are left out."""
    found: list[Canary] = []
    with ExitStack() as stack:
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            server_class = type("CanaryServer", (socketserver.ThreadingTCPServer,),
                                {"address_family": family, "daemon_threads": True, "allow_reuse_address": True})
            try:
                server = server_class((address, port), _CanaryHandler)
            except OSError:
                continue
            port = server.server_address[1]
            server.canary = Canary(address, port)  # type: ignore[attr-defined]
            found.append(stack.enter_context(serving(server)).canary)  # type: ignore[attr-defined]
        yield found


@contextmanager
def serve_hostile_site(site: HostileSite) -> Iterator[str]:
    with serving(_Server(site)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"
