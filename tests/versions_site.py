"""A local news site whose articles tests edit between crawls, with a log of every request it saw.

Each article page has a strong ETag and a Last-Modified (both change with its bytes) and answers a matching
If-None-Match or If-Modified-Since with 304, as news CDNs do. Its page chrome (a related-stories list, a
ticker, an ad slot) is both around the article and inside its <article> element, so a test can change it
alone.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import yaml

from tests.serving import SiteServer, serve_site


@dataclass
class Article:
    title: str
    paragraphs: list[str]
    chrome: str = "Markets: FTSE 100 up 0.4%"  # the ticker and the related-stories list say this
    modified: float = 1_700_000_000.0  # Last-Modified (epoch seconds); tests move it with an edit

    def html(self) -> bytes:
        body = "".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)
        related = "".join(f'<li><a href="/topics/{n}">{escape(self.chrome)} — related story {n}</a></li>'
                          for n in range(3))
        return (f'<html lang="en"><head><title>{escape(self.title)} | Gazette</title>'
                f'<meta property="og:type" content="article">'
                f'<meta property="article:published_time" content="2024-05-01T08:00:00Z"></head><body>'
                f'<nav><a href="/">Home</a> <a href="/topics/0">Topics</a></nav>'
                f'<div class="ticker">{escape(self.chrome)}</div>'
                f"<article><h1>{escape(self.title)}</h1>{body}"
                f'<div class="read-more"><h3>Read more</h3><ul>{related}</ul></div>'
                f'<p class="ticker">{escape(self.chrome)}</p><div class="ad">Sponsored: {escape(self.chrome)}</div>'
                "</article>"
                f'<aside class="related"><h2>Related stories</h2><ul>{related}</ul></aside>'
                f'<div class="ad" id="ad-{hashlib.sha1(self.chrome.encode()).hexdigest()[:6]}">Advertisement</div>'
                "</body></html>").encode()


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class VersionsSite:
    articles: dict[str, Article] = field(default_factory=dict)  # path → article
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hits_of(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]

    def clear(self) -> None:
        with self.lock:
            self.hits.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SiteServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        path = urlsplit(self.path).path
        status, body, headers = self.route(site, path)
        with site.lock:
            site.hits.append(Hit(self.path, dict(self.headers.items()), status))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def route(self, site: VersionsSite, path: str) -> tuple[int, bytes, dict[str, str]]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}
        if path == "/":
            links = "".join(f'<li><a href="{p}">{escape(a.title)}</a></li>' for p, a in site.articles.items())
            return 200, f"<html><body><h1>Gazette</h1><ul>{links}</ul></body></html>".encode(), html
        article = site.articles.get(path)
        if article is None:
            return 404, b"<html><body>not found</body></html>", html
        body = article.html()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": formatdate(article.modified, usegmt=True)}
        if self.headers.get("If-None-Match") == etag or (
                "If-None-Match" not in self.headers
                and self.headers.get("If-Modified-Since") == validators["Last-Modified"]):
            return 304, b"", validators
        return 200, body, {**html, **validators}


def serve_versions_site(site: VersionsSite) -> AbstractContextManager[str]:
    """Serve `site` on 127.0.0.1; yields the base URL."""
    return serve_site(_Handler, site)


def versions_sites_yaml(base: str, revisit: list[str] | None) -> str:
    site = {"name": "gazette", "homepage": base + "/", "allowed_domains": ["127.0.0.1"],
            "article_patterns": [r"/news/"], "language": "en", "delay": 0, "allow_private_network": True}
    if revisit is not None:
        site["revisit"] = revisit
    return yaml.safe_dump({"sites": [site]}, sort_keys=False)
