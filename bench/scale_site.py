"""A generated news site of N distinct articles on real page templates, for bench/scale_bench.py.

Each article is one of the bundled demo pages (crawler/demo/site, the ones under MAX_TEMPLATE_BYTES: 56-190 KB,
≈110 KB on average) with its own URL, title and a paragraph of its own (words of the template drawn by a seeded
generator), so every article is a record of its own and the texts are not byte-identical copies. The site is
found the way news sites are: robots.txt names a sitemap index, which lists one sitemap per publication day;
the homepage links the sections and the newest stories; each section has paginated listing pages. Pages are
made on request (nothing but the templates is held), sent with Content-Length, keep-alive and TCP_NODELAY.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import yaml

from crawler.demo.catalog import ARTICLE_PATTERN, SECTIONS, BundledPage, bundled_pages

MAX_TEMPLATE_BYTES = 200_000
PER_DAY = 50
PER_LISTING = 20
NEWEST = date(2026, 5, 31)
_PATH = re.compile(r"/(?P<section>[a-z]+)/(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/story-(?P<i>\d+)")
_FIRST_P = re.compile(rb"<p[\s>]")


@dataclass(frozen=True)
class ScaleSite:
    """N articles, article i on template i mod the template count, published PER_DAY a day back from NEWEST."""

    articles: int

    @cached_property
    def templates(self) -> tuple[BundledPage, ...]:
        return tuple(p for p in bundled_pages() if len(p.body) <= MAX_TEMPLATE_BYTES)

    def day(self, i: int) -> date:
        return NEWEST - timedelta(days=i // PER_DAY)

    def path(self, i: int) -> str:
        template = self.templates[i % len(self.templates)]
        return f"/{template.section}/{self.day(i):%Y/%m/%d}/story-{i}"

    def article(self, i: int) -> bytes:
        template = self.templates[i % len(self.templates)]
        words = re.findall(r"[a-z]{4,}", template.title.lower() + " " + template.slug.replace("-", " "))
        rng = random.Random(i)
        own = " ".join(rng.choice(words or ["news"]) for _ in range(60)).capitalize() + f". Story {i}."
        body = template.body.replace(template.title.encode(), f"{template.title} ({i})".encode())
        first = _FIRST_P.search(body)
        at = first.start() if first else len(body)
        return body[:at] + f"<p>{own}</p>".encode() + body[at:]

    def index_of(self, path: str) -> int | None:
        match = _PATH.fullmatch(path)
        if match is None or not 0 <= (i := int(match["i"])) < self.articles or self.path(i) != path:
            return None
        return i

    def days(self) -> list[date]:
        return sorted({self.day(i) for i in range(self.articles)}, reverse=True)

    def sitemap_index(self, base: str) -> str:
        entries = "".join(f"<sitemap><loc>{base}/sitemaps/{day}.xml</loc><lastmod>{day}</lastmod></sitemap>"
                          for day in self.days())
        return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}' \
               "</sitemapindex>"

    def day_sitemap(self, base: str, day: date) -> str:
        urls = "".join(f"<url><loc>{base}{self.path(i)}</loc><lastmod>{day}T08:00:00Z</lastmod></url>"
                       for i in range(self.articles) if self.day(i) == day)
        return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'

    def listing(self, section: str | None, page: int) -> str | None:
        """Homepage (section None: the newest stories of all) or a section's listing page `page`."""
        indexes = [i for i in range(self.articles)
                   if section is None or self.templates[i % len(self.templates)].section == section]
        chosen = indexes[(page - 1) * PER_LISTING:page * PER_LISTING]
        if page > 1 and not chosen:
            return None
        links = "".join(f'<li><a href="{self.path(i)}">Story {i}: the day in {SECTIONS[i % len(SECTIONS)]}</a></li>'
                        for i in chosen)
        nav = "".join(f'<a href="/{s}/">{s}</a> ' for s in SECTIONS)
        more = f'<a href="/{section}/page/{page + 1}/">older</a>' if section and len(chosen) == PER_LISTING else ""
        return f"<html><head><title>Scale news</title></head><body><nav>{nav}</nav><ul>{links}</ul>{more}</body></html>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site, path = self.server.site, urlsplit(self.path).path
        base = f"http://{self.headers.get('Host')}"
        status, kind, body = 200, "text/html; charset=utf-8", b""
        listing = re.fullmatch(r"/([a-z]+)/(?:page/(\d+)/)?", path)
        if path == "/robots.txt":
            kind, body = "text/plain", f"User-agent: *\nSitemap: {base}/sitemap_index.xml\n".encode()
        elif path == "/sitemap_index.xml":
            kind, body = "application/xml", site.sitemap_index(base).encode()
        elif (day := re.fullmatch(r"/sitemaps/(\d{4}-\d\d-\d\d)\.xml", path)) is not None:
            kind, body = "application/xml", site.day_sitemap(base, date.fromisoformat(day[1])).encode()
        elif path == "/":
            body = (site.listing(None, 1) or "").encode()
        elif listing and listing[1] in SECTIONS and (html := site.listing(listing[1], int(listing[2] or 1))):
            body = html.encode()
        elif (i := site.index_of(path)) is not None:
            body = site.article(i)
        else:
            status, body = 404, b"<html><body><h1>Not found</h1></body></html>"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: ScaleSite) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site

    def handle_error(self, request: object, client_address: object) -> None:
        """A crawler hanging up mid-answer is routine."""


@contextmanager
def serve_scale_site(site: ScaleSite) -> Iterator[str]:
    """Serve `site` on 127.0.0.1; yields the base URL `http://127.0.0.1:PORT` (no trailing slash)."""
    server = _Server(site)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def sites_yaml(base: str) -> str:
    """The sites file both sides crawl: homepage, sections; the sitemap index comes from robots.txt."""
    site = {"name": "scale-news", "homepage": base + "/", "sections": [f"{base}/{s}/" for s in SECTIONS],
            "allowed_domains": ["127.0.0.1"], "article_patterns": [ARTICLE_PATTERN],
            "language": "en", "delay": 0, "allow_private_network": True}
    return yaml.safe_dump({"sites": [site]}, sort_keys=False)
