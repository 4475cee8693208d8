"""The generic news spider: homepage and sections → links, feeds and sitemaps → article items.

Every response is archived by the WARC capture extension whatever happens here; this spider only
decides what to follow and which pages are articles (and says why).
"""

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from crawler.classify import classify_page
from crawler.feeds import FeedError, parse_feed
from crawler.hosts import host_in_domains
from crawler.sitemaps import SitemapError, parse_sitemap
from crawler.sites import Site
from pipelines.extraction.document import parse_html

log = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
MAX_SITEMAP_DEPTH = 3


def discovery(via: str, source: str | None, hints: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record's `discovery` object: how the URL was found, from where, and what was known then."""
    return {"via": via, "source": source, "hints": dict(hints or {})}


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def article_item(response: Response, site: Site, signals: list[str]) -> dict[str, Any]:
    """What the item pipelines need to build a record; the body is the decoded page."""
    meta = response.meta
    content_type = response.headers.get(b"Content-Type")
    return {
        "url": response.url,
        "requested_url": (meta.get("redirect_urls") or [response.url])[0],
        "status": response.status,
        "body": response.body,
        "content_type": content_type.decode("latin-1") if content_type else None,
        "fetched_at": meta.get("warc_date") or datetime.now(UTC),
        "warc": meta.get("warc"),
        "site": site.name,
        "discovery": meta["newsarchive"]["discovery"],
        "article_signals": signals,
    }


class NewsSpider(Spider):
    """Crawl the sites of a sites file; see module docstring."""

    name = "news"

    def __init__(self, sites: Iterable[Site] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sites = {site.name: site for site in sites}
        self.site_names = list(self.sites)
        self.allowed_domains = sorted({domain for site in self.sites.values() for domain in site_domains(site)})
        self.private_network_hosts = frozenset(domain for site in self.sites.values()
                                               if site.allow_private_network for domain in site_domains(site))
        self.scheduled: Counter[str] = Counter()
        # No allow_domains here: Scrapy compares it with the netloc *including the port*, so it would drop every
        # link of a site served on an explicit port. Hosts are checked in parse() with host_in_domains().
        self.link_extractors = {
            site.name: LinkExtractor(deny=[pattern.pattern for pattern in site.deny_patterns])
            for site in self.sites.values()
        }

    # -- requests --------------------------------------------------------------------------------

    def request(self, url: str, site: Site, found: dict[str, Any], *, callback: Any = None,
                priority: int = 0, dont_filter: bool = False) -> Request | None:
        """A request carrying its site and discovery, or None when the site's page budget is spent."""
        limit = self.settings.getint("MAX_PAGES_PER_SITE")
        if limit and self.scheduled[site.name] >= limit:
            self.crawler.stats.inc_value("newsarchive/budget_exhausted")
            return None
        self.scheduled[site.name] += 1
        return Request(url, callback=callback or self.parse, errback=self.failed, priority=priority,
                       dont_filter=dont_filter, meta={"newsarchive": {"site": site.name, "discovery": found}})

    async def start(self) -> AsyncIterator[Request]:
        for site in self.sites.values():
            for request in self.seed_requests(site):
                if request is not None:
                    yield request

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "NewsSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        return spider

    def seed_requests(self, site: Site) -> Iterator[Request | None]:
        for url in (site.homepage, *site.sections):
            yield self.request(url, site, discovery("seed", None), priority=10)
        for url in site.feeds:
            yield self.request(url, site, discovery("seed", None), callback=self.parse_feed, priority=15)
        for url in site.sitemaps:
            yield self.request(url, site, discovery("seed", None), callback=self.parse_sitemap, priority=15)

    def site_of(self, response: Response) -> Site:
        return self.sites[response.meta["newsarchive"]["site"]]

    # -- callbacks -------------------------------------------------------------------------------

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        """An HTML page: emit it as an article if it is one, and follow its same-site links and feeds."""
        if not isinstance(response, TextResponse) or b"html" not in (response.headers.get(b"Content-Type") or b"html"):
            return
        site = self.site_of(response)
        document = parse_html(response.body, content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"))
        if document is None:
            self.crawler.stats.inc_value("newsarchive/empty_pages")
            return
        is_article, signals = classify_page(document, response.url, article_patterns=site.article_patterns,
                                            deny_patterns=site.deny_patterns)
        if is_article:
            self.crawler.stats.inc_value("newsarchive/articles")
            yield article_item(response, site, signals)
        for link in response.xpath("//link[@rel='alternate'][@href]"):
            if (link.attrib.get("type") or "").strip().lower() not in FEED_TYPES:
                continue
            href = link.attrib["href"]
            yield self.request(urljoin(response.url, href), site, discovery("link", response.url),
                               callback=self.parse_feed, priority=15)
        domains = site_domains(site)
        for link in self.link_extractors[site.name].extract_links(response):
            if host_in_domains(urlsplit(link.url).hostname, domains):
                yield self.request(link.url, site, discovery("link", response.url))

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        """robots.txt `Sitemap:` lines, from the copy RobotsTxtMiddleware fetched (one fetch per host)."""
        site = self.sites.get((request.meta.get("newsarchive") or {}).get("site", ""))
        protego = getattr(robotparser, "rp", None)
        if site is None or protego is None:
            return
        robots = robots_url(request.url)
        for url in protego.sitemaps:
            sitemap_request = self.request(urljoin(robots, url), site, discovery("sitemap", robots),
                                           callback=self.parse_sitemap, priority=15)
            if sitemap_request is not None:
                self.crawler.engine.crawl(sitemap_request)

    def parse_sitemap(self, response: Response) -> Iterator[Request | None]:
        """Sitemap or sitemap index; news fields become hints for extraction."""
        site = self.site_of(response)
        try:
            sitemap = parse_sitemap(response.body)
        except SitemapError as error:
            self.crawler.stats.inc_value("newsarchive/errors")
            log.warning("sitemap %s (site %s) skipped: %s", response.url, site.name, error)
            return
        depth = response.meta.get("sitemap_depth", 0)
        for entry in sitemap.sitemaps if depth < MAX_SITEMAP_DEPTH else []:
            request = self.request(entry.loc, site, discovery("sitemap", response.url), callback=self.parse_sitemap,
                                   priority=15)
            if request is not None:
                request.meta["sitemap_depth"] = depth + 1
                yield request
        for entry in sitemap.urls:
            yield self.request(entry.loc, site, discovery("sitemap", response.url, entry.hints()), priority=5)

    def parse_feed(self, response: Response) -> Iterator[Request | None]:
        site = self.site_of(response)
        try:
            entries = parse_feed(response.body, response.url)
        except FeedError as error:
            self.crawler.stats.inc_value("newsarchive/errors")
            log.warning("feed %s (site %s) skipped: %s", response.url, site.name, error)
            return
        for entry in entries:
            yield self.request(urljoin(response.url, entry.url), site, discovery("feed", response.url, entry.hints()),
                               priority=5)

    def failed(self, failure: Any) -> None:
        """Errors are archived (the capture saw the response) and counted; the crawl goes on."""
        request = getattr(failure, "request", None)
        self.crawler.stats.inc_value("newsarchive/fetch_failures")
        log.info("not fetched or not used: %s (%s)", request.url if request else "?", failure.getErrorMessage())


def site_domains(site: Site) -> tuple[str, ...]:
    """The site's allowed domains, or its homepage host when none are given."""
    return site.allowed_domains or (urlsplit(site.homepage).hostname or "",)
