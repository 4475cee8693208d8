"""Local news sites with URL schemes the other fixtures do not use, for `newsarchive discover` tests.

Article pages are the demo's bundled real pages (crawler/demo/site), byte for byte, served under each scheme's
URLs; the pages around them are generated the way CMSs make them: a homepage with navigation, section fronts
with pagination, tag pages, video pages, an about page. Each site logs every request it saw.

- `numeric`: `/news/40000-slug`, `/sport/40007-slug`, and `/video/50000-slug` pages that are not articles but
  share the id structure; robots.txt names a sitemap index (a sitemap per section) and a news sitemap; the
  homepage declares its RSS feed.
- `html`: `/article/slug.html` with slugs of two to five words; robots.txt names no sitemap and there is none
  at the common paths; the feed is at `/rss.xml`, which the homepage does not declare.
- `javascript=True` (with `html`): article pages are empty shells that a script fills from `/api/<slug>.json`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.demo.catalog import BundledPage, bundled_pages
from tests.serving import serving

SECTIONS = ("news", "sport")
HOMEPAGE_ARTICLES = 6
FEED_ITEMS = 10
SECTION_PAGE_SIZE = 5
TAGS = ("politics", "economy", "climate")
VIDEOS = 3
ABOUT = ("<p>The Courier is an independent local newspaper founded in 1901. Write to the newsroom with tips "
         "and corrections.</p>")


@dataclass(frozen=True)
class Hit:
    path: str
    user_agent: str
    at: float


@dataclass(frozen=True)
class Article:
    path: str
    page: BundledPage
    section: str
    published: str


@dataclass
class SchemeSite:
    """What to serve; `articles` is the ground truth a crawl is compared with."""

    scheme: str = "numeric"                      # numeric | html
    javascript: bool = False
    robots_disallow: tuple[str, ...] = ()
    crawl_delay: float | None = None
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.articles = [self._article(index, page) for index, page in enumerate(bundled_pages())]
        self.by_path = {article.path: article for article in self.articles}

    def _article(self, index: int, page: BundledPage) -> Article:
        section = SECTIONS[index % len(SECTIONS)]
        published = f"2024-05-{28 - index:02d}T08:00:00Z"
        if self.scheme == "numeric":
            return Article(f"/{section}/{40000 + 7 * index}-{page.slug}", page, section, published)
        words = page.slug.split("-")[: 2 + index % 4]  # two to five words
        return Article(f"/article/{'-'.join(words)}.html", page, section, published)

    def article_paths(self) -> set[str]:
        return {article.path for article in self.articles}

    def paths(self) -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits]

    # -- pages -----------------------------------------------------------------------------------

    def section_path(self, section: str, number: int = 1) -> str:
        if self.scheme == "numeric":
            return f"/{section}/" if number == 1 else f"/{section}/page/{number}/"
        return f"/section/{section}.html" if number == 1 else f"/section/{section}-{number}.html"

    def tag_path(self, tag: str) -> str:
        return f"/tag/{tag}/" if self.scheme == "numeric" else f"/tag/{tag}.html"

    def video_path(self, number: int) -> str:
        return f"/video/{50000 + number}-match-highlights-round-{number}"

    def about_path(self) -> str:
        return "/about" if self.scheme == "numeric" else "/about.html"

    def layout(self, title: str, body: str, *, og_type: str = "website") -> str:
        nav = " ".join(f'<a href="{self.section_path(s)}">{s.title()}</a>' for s in SECTIONS)
        feed = ('<link rel="alternate" type="application/rss+xml" href="/rss.xml">' if self.scheme == "numeric"
                else "")
        tags = " ".join(f'<a href="{self.tag_path(tag)}">#{tag}</a>' for tag in TAGS)
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
                f'<meta property="og:type" content="{og_type}">{feed}</head><body>'
                f'<header><a href="/">The Courier</a><nav>{nav} <a href="{self.about_path()}">About</a></nav>'
                f"</header><main>{body}</main><footer>{tags}</footer></body></html>")

    def teasers(self, articles: list[Article]) -> str:
        return "".join(f'<h3><a href="{a.path}">{escape(a.page.title)}</a></h3>' for a in articles)

    def homepage(self) -> str:
        videos = "".join(f'<li><a href="{self.video_path(n)}">Highlights, round {n}</a></li>' for n in range(VIDEOS))
        watch = f"<section><h2>Watch</h2><ul>{videos}</ul></section>" if self.scheme == "numeric" else ""
        return self.layout("The Courier — latest news",
                           f"<h1>Latest</h1>{self.teasers(self.articles[:HOMEPAGE_ARTICLES])}{watch}")

    def section_page(self, section: str, number: int) -> str | None:
        listed = [a for a in self.articles if a.section == section]
        pages = max(1, -(-len(listed) // SECTION_PAGE_SIZE))
        if not 1 <= number <= pages:
            return None
        chunk = listed[(number - 1) * SECTION_PAGE_SIZE: number * SECTION_PAGE_SIZE]
        pager = " ".join(f'<a href="{self.section_path(section, n)}">{n}</a>' for n in range(1, pages + 1))
        return self.layout(f"{section.title()} — page {number}", f"<h1>{section.title()}</h1>"
                           f"{self.teasers(chunk)}<p class='pager'>{pager}</p>")

    def tag_page(self, tag: str) -> str:
        tagged = [a for i, a in enumerate(self.articles) if i % len(TAGS) == TAGS.index(tag)][:3]
        return self.layout(f"#{tag}", f"<h1>Stories tagged {tag}</h1>{self.teasers(tagged)}")

    def video_page(self, number: int) -> str:
        return self.layout(f"Highlights, round {number}", f'<h1>Highlights, round {number}</h1><video '
                           f'src="/media/{number}.mp4" controls></video><p>2:31 min</p>', og_type="video.other")

    def article_shell(self, article: Article) -> str:
        """What a JavaScript-only site sends for an article: metadata, a mount point, the script."""
        slug = article.path.rsplit("/", 1)[-1].removesuffix(".html")
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(article.page.title)}'
                f'</title><meta property="og:type" content="article"><script src="/static/app.js" '
                f'data-source="/api/{slug}.json" defer></script></head><body><header><a href="/">The Courier</a>'
                "</header><div id='app'></div><noscript>Turn on JavaScript to read this story.</noscript>"
                "</body></html>")

    def robots(self, base: str) -> str:
        lines = ["User-agent: *", *(f"Disallow: {path}" for path in self.robots_disallow)]
        if not self.robots_disallow:
            lines.append("Disallow:")
        if self.crawl_delay:
            lines.append(f"Crawl-delay: {self.crawl_delay}")
        if self.scheme == "numeric":
            lines += ["", f"Sitemap: {base}/sitemap-index.xml", f"Sitemap: {base}/news-sitemap.xml"]
        return "\n".join(lines) + "\n"

    def sitemap(self, base: str, articles: list[Article], *, news: bool) -> str:
        def entry(a: Article) -> str:
            extra = (f"<news:news><news:publication><news:name>The Courier</news:name><news:language>en"
                     f"</news:language></news:publication><news:publication_date>{a.published}"
                     f"</news:publication_date><news:title>{escape(a.page.title)}</news:title></news:news>"
                     if news else f"<lastmod>{a.published}</lastmod>")
            return f"<url><loc>{base}{a.path}</loc>{extra}</url>"
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                + "".join(entry(a) for a in articles) + "</urlset>")

    def sitemap_index(self, base: str) -> str:
        children = "".join(f"<sitemap><loc>{base}/sitemaps/{s}.xml</loc><lastmod>2024-05-28</lastmod></sitemap>"
                           for s in SECTIONS)
        return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>'

    def feed(self, base: str) -> str:
        items = "".join(f"<item><title>{escape(a.page.title)}</title><link>{base}{a.path}</link>"
                        f"<pubDate>Tue, {a.published[8:10]} May 2024 08:00:00 +0000</pubDate></item>"
                        for a in self.articles[:FEED_ITEMS])
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>The Courier</title>{items}</channel></rss>'

    def route(self, path: str, base: str) -> tuple[int, bytes, str]:
        html, xml = "text/html; charset=utf-8", "application/xml"
        generated: dict[str, tuple[str, str]] = {"/": (self.homepage(), html),
                                                 "/robots.txt": (self.robots(base), "text/plain"),
                                                 "/rss.xml": (self.feed(base), "application/rss+xml"),
                                                 self.about_path(): (self.layout("About", ABOUT), html)}
        generated.update({self.tag_path(tag): (self.tag_page(tag), html) for tag in TAGS})
        if self.scheme == "numeric":
            generated["/sitemap-index.xml"] = (self.sitemap_index(base), xml)
            generated["/news-sitemap.xml"] = (self.sitemap(base, self.articles[:5], news=True), xml)
            generated.update({f"/sitemaps/{s}.xml": (self.sitemap(base, [a for a in self.articles if a.section == s],
                                                                  news=False), xml) for s in SECTIONS})
            generated.update({self.video_path(n): (self.video_page(n), html) for n in range(VIDEOS)})
        for section in SECTIONS:
            for number in range(1, 5):
                if (listing := self.section_page(section, number)) is not None:
                    generated[self.section_path(section, number)] = (listing, html)
        if path in generated:
            text, content_type = generated[path]
            return 200, text.encode(), content_type
        if (article := self.by_path.get(path)) is not None:
            if self.javascript:
                return 200, self.article_shell(article).encode(), html
            return 200, article.page.body, f"text/html; charset={article.page.charset}"
        if self.javascript and path.startswith("/api/"):
            found = next((a for a in self.articles if path == f"/api/{a.path.rsplit('/', 1)[-1][:-5]}.json"), None)
            if found is not None:
                return 200, json.dumps({"title": found.page.title, "body": "<p>...</p>"}).encode(), "application/json"
        if path == "/static/app.js":
            return 200, b"fetch(document.currentScript.dataset.source).then(r => r.json())", "text/javascript"
        return 404, b"<html><body><h1>Not found</h1></body></html>", html


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        with site.lock:
            site.hits.append(Hit(self.path, self.headers.get("User-Agent", ""), time.monotonic()))
        status, body, content_type = site.route(urlsplit(self.path).path, f"http://{self.headers.get('Host')}")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: SchemeSite) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site


@contextmanager
def serve_scheme_site(site: SchemeSite) -> Iterator[str]:
    """Serve `site` on 127.0.0.1; yields the homepage URL `http://127.0.0.1:PORT/`."""
    with serving(_Server(site)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
