"""Where a site's URLs come from besides its pages: robots.txt `Sitemap:` lines, sitemaps (and indexes), feeds,
and probes of the usual paths when a site declares none; feeds and sitemaps get conditional GETs with the
validators of the last clean run. A mixin of the news spider (crawler/spiders/news.py), which owns `request()`,
the policy and the seen-store these use.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response

from crawler.discovery.feeds import FeedError, parse_feed
from crawler.discovery.sitemaps import SitemapEntry, SitemapError, parse_sitemap
from crawler.sites import Site
from pipelines.state.seen import Validators

if TYPE_CHECKING:
    from crawler.spiders.news import NewsSpider

log = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
MAX_SITEMAP_DEPTH = 3
# Where sites usually keep them, tried for a site whose sites-file entry names none, when robots.txt names no
# sitemap (sitemap paths) or the homepage declares no feed (feed paths). A miss is not an error.
PROBED_SITEMAPS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml", "/sitemap-news.xml")
PROBED_FEEDS = ("/feed", "/rss.xml", "/feed.xml", "/atom.xml")


def discovery(via: str, source: str | None, hints: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record's `discovery` object: how the URL was found, from where, and what was known then."""
    return {"via": via, "source": source, "hints": dict(hints or {})}


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def header_text(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class FeedsAndSitemaps:
    """The news spider's callbacks for robots.txt, sitemaps and feeds (see module docstring)."""

    def probe_requests(self: NewsSpider, site: Site, paths: tuple[str, ...], callback: Any) -> Iterator[Request]:
        """Common feed or sitemap paths of a site that declares none, marked as probes: a 404 or a non-feed there
        is not an error. Only for sites whose sites-file entry names no feed and no sitemap."""
        if site.feeds or site.sitemaps:
            return
        for path in paths:
            request = self.request(urljoin(site.homepage, path), site, discovery("seed", None), callback=callback,
                                   priority=14)
            if request is not None:
                request.meta["probe"] = True
                yield request

    def conditional(self: NewsSpider, request: Request) -> Request:
        """Feeds and sitemaps: conditional GET with the validators of the last clean run, where the policy asks for
        it (not in a backfill or with --refetch, which need every entry)."""
        if self.seen is None or not self.policy.conditional_get():
            return request
        known = self.seen.validators(request.url)
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        request.meta["handle_httpstatus_list"] = [304]
        return request

    def robots_parsed(self: NewsSpider, robotparser: Any, request: Request) -> None:
        """robots.txt `Sitemap:` lines, from the copy RobotsTxtMiddleware fetched (one fetch per host)."""
        site = self.sites.get((request.meta.get("newsarchive") or {}).get("site", ""))
        protego = getattr(robotparser, "rp", None)
        if site is None or protego is None:
            return
        robots = robots_url(request.url)
        declared = list(protego.sitemaps)
        for url in declared:
            sitemap_request = self.request(url, site, discovery("sitemap", robots), callback=self.parse_sitemap,
                                           priority=15, base=robots)
            if sitemap_request is not None:
                self.crawler.engine.crawl(sitemap_request)
        if not declared and urlsplit(robots).netloc == urlsplit(site.homepage).netloc:
            for probe in self.probe_requests(site, PROBED_SITEMAPS, self.parse_sitemap):
                self.crawler.engine.crawl(probe)

    def parse_sitemap(self: NewsSpider, response: Response) -> Iterator[Request | None]:
        """Sitemap or sitemap index; news fields become hints for extraction."""
        site = self.site_of(response)
        if self.not_modified(response):
            return
        try:
            sitemap = parse_sitemap(response.body)
        except SitemapError as error:
            self.count_error(site, f"sitemap {response.url} skipped: {error}", probe=response.meta.get("probe"))
            return
        # An index never gets a conditional GET: a 304 would hide children whose changes it does not show.
        self.keep_validators(response, http=not sitemap.sitemaps, lastmod=response.meta.get("index_lastmod"))
        depth = response.meta.get("sitemap_depth", 0)
        for entry in sitemap.sitemaps if depth < MAX_SITEMAP_DEPTH else []:
            if not self.wanted_sitemap(entry):
                continue
            request = self.request(entry.loc, site, discovery("sitemap", response.url), callback=self.parse_sitemap,
                                   priority=15, base=response.url)
            if request is not None:
                request.meta.update(sitemap_depth=depth + 1, index_lastmod=entry.lastmod)
                yield request
        for entry in self.policy.entry_order(sitemap.urls):
            yield self.request(entry.loc, site, discovery("sitemap", response.url, entry.hints()), priority=5,
                               base=response.url)

    def wanted_sitemap(self: NewsSpider, entry: SitemapEntry) -> bool:
        """Prune index children the policy does not need (unchanged since the last clean run, outside a window)."""
        known = self.seen.validators(entry.loc).lastmod if self.seen is not None and entry.lastmod else None
        if reason := self.policy.sitemap_skip(entry, known):
            self.crawler.stats.inc_value(f"newsarchive/skipped/{reason}")
            return False
        return True

    def parse_feed(self: NewsSpider, response: Response) -> Iterator[Request | None]:
        site = self.site_of(response)
        if self.not_modified(response):
            return
        try:
            entries = parse_feed(response.body, response.url)
        except FeedError as error:
            self.count_error(site, f"feed {response.url} skipped: {error}", probe=response.meta.get("probe"))
            return
        self.keep_validators(response)
        for entry in entries:
            yield self.request(entry.url, site, discovery("feed", response.url, entry.hints()), priority=5,
                               base=response.url)

    def not_modified(self: NewsSpider, response: Response) -> bool:
        """A 304 to our conditional GET: archived by the capture, nothing new to parse."""
        if response.status != 304:
            return False
        self.crawler.stats.inc_value("newsarchive/not_modified")
        return True

    def keep_validators(self: NewsSpider, response: Response, *, http: bool = True, lastmod: str | None = None) -> None:
        """Remember a parsed feed's or sitemap's validators; saved by closed() if the run completes."""
        validators = Validators(etag=header_text(response, b"ETag") if http else None,
                                last_modified=header_text(response, b"Last-Modified") if http else None,
                                lastmod=lastmod)
        if validators != Validators():
            self.pending_validators[response.url] = validators
