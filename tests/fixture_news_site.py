"""A second local news site for discovery and politeness tests, with a log of every request it saw.

What it serves (all generated, stdlib only): robots.txt (Disallow /private/, optional Crawl-delay, two
Sitemap: lines), a sitemap index of monthly news sitemaps (with lastmod and news:publication_date), a news
sitemap of the newest articles, an RSS feed (sitemaps and feed have ETags and answer If-None-Match with
304), a homepage, an endless calendar trap, links carrying session ids, article pages, and on demand a
429 with Retry-After or a captcha wall before articles, slow articles, one request held until released,
and redirect aliases (301 to an article, linked from the homepage).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import yaml

from tests.serving import SiteServer, serve_site

ARTICLE_PATTERN = r"/news/\d{4}/\d{2}/\d{2}/"
CAPTCHA_PAGE = (b'<html><head><title>Just a moment...</title></head><body><div class="g-recaptcha" '
                b'data-sitekey="x"></div><p>Verify you are human.</p></body></html>')
PARAGRAPH = ("The council met on {day} to debate the {n}th proposal of the year, and members said the plan "
             "to rebuild the harbour wall would need more money than the budget set aside in the spring. "
             "Residents who attended the meeting asked for a public consultation before any work begins.")


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    path: str          # path and query, as requested
    headers: dict[str, str]
    status: int
    at: float          # time.monotonic() on arrival


@dataclass
class FixtureSite:
    """What to serve; tests change it between runs (e.g. add an article)."""

    articles: list[date] = field(default_factory=list)
    crawl_delay: float | None = None
    retry_after: dict[str, int] = field(default_factory=dict)  # path → seconds, answered once with 429
    captcha: bool = False                                       # article pages are a captcha wall
    article_delay: float = 0.0                                  # seconds before an article is answered
    hold: str | None = None                                     # this path is answered once `released` is set
    released: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)  # set when the held request arrived
    redirects: dict[str, str] = field(default_factory=dict)     # path → path it answers 301 to
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def article_path(self, day: date) -> str:
        return f"/news/{day:%Y/%m/%d}/harbour-wall-debate-{day:%Y%m%d}"

    def paths(self, prefix: str = "") -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits if hit.path.startswith(prefix)]

    def clear(self) -> None:
        with self.lock:
            self.hits.clear()


def article_html(day: date) -> str:
    paragraphs = "".join(f"<p>{PARAGRAPH.format(day=day.isoformat(), n=n)}</p>" for n in range(5))
    return (f'<html lang="en"><head><title>Harbour wall debate {day} | Gazette</title>'
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{day}T08:00:00Z"></head>'
            f'<body><article><h1>Harbour wall debate {day}</h1>{paragraphs}</article></body></html>')


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SiteServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site, base = self.server.site, f"http://{self.headers.get('Host')}"
        path = urlsplit(self.path).path
        status, body, headers = self._route(site, base, path)
        with site.lock:
            site.hits.append(Hit(self.path, dict(self.headers.items()), status, time.monotonic()))
        if path == site.hold:
            site.held.set()
            site.released.wait(60)
        if site.article_delay and path.startswith("/news/"):
            time.sleep(site.article_delay)
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _route(self, site: FixtureSite, base: str, path: str) -> tuple[int, bytes, dict[str, str]]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        xml = {"Content-Type": "application/xml"}
        if path == "/robots.txt":
            delay = f"Crawl-delay: {site.crawl_delay}\n" if site.crawl_delay else ""
            text = (f"User-agent: *\nDisallow: /private/\n{delay}\n"
                    f"Sitemap: {base}/sitemap-index.xml\nSitemap: {base}/news-sitemap.xml\n")
            return 200, text.encode(), {"Content-Type": "text/plain"}
        if path in site.redirects:
            return 301, b"", {"Location": base + site.redirects[path]}
        if path in site.retry_after:
            return 429, b"slow down", {"Retry-After": str(site.retry_after.pop(path)), "Content-Type": "text/plain"}
        validator = self.headers.get("If-None-Match")
        if path == "/sitemap-index.xml":
            return conditional(sitemap_index(site, base).encode(), xml, validator)
        if path.startswith("/sitemaps/"):
            month = [d for d in sorted(site.articles) if f"/sitemaps/{d:%Y-%m}.xml" == path]
            return conditional(news_sitemap(site, base, month).encode(), xml, validator)
        if path == "/news-sitemap.xml":
            return conditional(news_sitemap(site, base, sorted(site.articles)[-3:]).encode(), xml, validator)
        if path == "/feed.xml":
            return conditional(feed(site, base), {"Content-Type": "application/rss+xml"}, validator)
        if path == "/":
            return 200, homepage(site).encode(), html
        if path.startswith("/calendar/"):
            return 200, calendar_page(path).encode(), html
        if path in ("/about", "/private/secret"):
            return 200, b"<html><body><p>About the Gazette.</p></body></html>", html
        day = next((day for day in site.articles if site.article_path(day) == path), None)
        if day is not None and site.captcha:  # gzipped, as CDNs send them
            return 200, gzip.compress(CAPTCHA_PAGE), {**html, "Content-Encoding": "gzip"}
        if day is not None:
            return 200, article_html(day).encode(), html
        return 404, b"<html><body>not found</body></html>", html


def sitemap_index(site: FixtureSite, base: str) -> str:
    months = sorted({day.strftime("%Y-%m") for day in site.articles})
    entries = "".join(f"<sitemap><loc>{base}/sitemaps/{month}.xml</loc>"
                      f"<lastmod>{max(d for d in site.articles if d.strftime('%Y-%m') == month)}</lastmod></sitemap>"
                      for month in months)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'


def news_sitemap(site: FixtureSite, base: str, articles: list[date]) -> str:
    urls = "".join(f"<url><loc>{base}{site.article_path(day)}</loc><news:news><news:publication>"
                   f"<news:name>Gazette</news:name><news:language>en</news:language></news:publication>"
                   f"<news:publication_date>{day}T08:00:00Z</news:publication_date>"
                   f"<news:title>Harbour wall debate {day}</news:title></news:news></url>"
                   for day in articles)
    return ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>')


def conditional(body: bytes, headers: dict[str, str], if_none_match: str | None) -> tuple[int, bytes, dict[str, str]]:
    """The body with a strong ETag, or a 304 when the client already has it."""
    etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16] + '"'
    if if_none_match == etag:
        return 304, b"", {"ETag": etag}
    return 200, body, {"ETag": etag, **headers}


def feed(site: FixtureSite, base: str) -> bytes:
    newest = sorted(site.articles, reverse=True)[:3]
    items = "".join(f"<item><title>Harbour wall debate {day}</title><link>{base}{site.article_path(day)}</link>"
                    f"<pubDate>{day:%a, %d %b %Y} 08:00:00 +0000</pubDate></item>" for day in newest)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>{items}</channel></rss>'.encode()


def homepage(site: FixtureSite) -> str:
    newest = sorted(site.articles, reverse=True)[:3]
    links = "".join(f'<li><a href="{site.article_path(day)}">Harbour wall debate {day}</a></li>' for day in newest)
    links += "".join(f'<li><a href="{alias}">More on the harbour</a></li>' for alias in site.redirects)
    return (f'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>'
            f'<nav><a href="/calendar/2024/05/">Events calendar</a> <a href="/private/secret">Staff</a> '
            f'<a href="/about;jsessionid=A1B2C3">About</a> <a href="/about?sid=42">About us</a></nav>'
            f"<ul>{links}</ul></body></html>")


def calendar_page(path: str) -> str:
    """A month (or day) of an events calendar: links to every day and to the months around it, forever."""
    year, month = (int(part) for part in path.split("/")[2:4])
    first = date(year, month, 1)
    previous, following = first - timedelta(days=1), first + timedelta(days=31)
    days = "".join(f'<a href="/calendar/{year}/{month:02d}/{d:02d}/">{d}</a> ' for d in range(1, 29))
    return (f'<html><body><h1>Events {year}-{month:02d}</h1>{days}'
            f'<a href="/calendar/{previous:%Y/%m}/">previous</a> <a href="/calendar/{following:%Y/%m}/">next</a>'
            "</body></html>")


def serve_fixture_site(site: FixtureSite) -> AbstractContextManager[str]:
    """Serve `site` on 127.0.0.1; yields the base URL `http://127.0.0.1:PORT`."""
    return serve_site(_Handler, site)


def sites_yaml(base: str, name: str = "gazette") -> str:
    """The sites file for the fixture: homepage and feed given; sitemaps come from robots.txt."""
    site = {"name": name, "homepage": base + "/", "feeds": [base + "/feed.xml"], "allowed_domains": ["127.0.0.1"],
            "article_patterns": [ARTICLE_PATTERN], "language": "en", "delay": 0, "allow_private_network": True}
    return yaml.safe_dump({"sites": [site]}, sort_keys=False)


def days(start: date, count: int, step: int = 1) -> list[date]:
    """`count` dates from `start`, `step` days apart."""
    return [start + timedelta(days=i * step) for i in range(count)]
