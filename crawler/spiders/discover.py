"""The spider of `newsarchive discover`: probe one site the way a crawl would, within a small request budget.

It runs as an ordinary Scrapy crawl with the project's downloader middlewares, so robots.txt, the network
guard, URL scope and politeness apply exactly as in `newsarchive crawl`, by construction. Two phases:
1. discovery: robots.txt (its `Sitemap:` lines, else the common sitemap paths), the homepage (its
   `<link rel=alternate>` feeds, else the common feed paths; its links; its navigation links, fetched as
   possible sections), the sitemaps (two children of an index) and the feeds;
2. when that has gone quiet (`spider_idle`): a sample of the links found, spread over URL shapes
   (crawler/discovery/probe.py), each classified as a crawl would (pipelines/extract/classify.py).
It yields no items and writes nothing: what it saw is `self.observations`. robots.txt, sitemaps and feeds are
handled by its mixin ProbeSources (crawler/spiders/discover_sources.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.discovery.probe import (
    ROBOTS_DISALLOW,
    Observations,
    Page,
    Source,
    choose_sample,
    is_page_url,
    looks_like_section,
    navigation_hrefs,
)
from crawler.scope import MalformedURL, absolute_url, new_request, refusal, refusals_of, site_domains
from crawler.sites import Site
from crawler.spiders.discover_sources import ProbeSources
from crawler.spiders.sources import FEED_TYPES, PROBED_FEEDS
from pipelines.extract.classify import classify_page
from pipelines.extract.document import Document, parse_html
from pipelines.extract.urls import strip_session_ids

log = logging.getLogger(__name__)

MAX_FEEDS = 4             # declared feeds read
MAX_SECTIONS = 6          # navigation links fetched as possible sections
FORBIDDEN_BY_ROBOTS = "Forbidden by robots.txt"  # RobotsTxtMiddleware's words
# Scripts that run (not JSON-LD or other data blocks): what a page that needs JavaScript has.
SCRIPT_XPATH = "//script[not(@type) or not(contains(@type, 'json'))]"


class DiscoverySpider(ProbeSources, Spider):
    """See module docstring. `budget` counts every request, robots.txt included; half is kept for the sample."""

    name = "discover"

    def __init__(self, site: Site, budget: int = 60, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.sites = {site.name: site}  # what the scope middleware looks requests' sites up in
        self.site_names = [site.name]
        self.private_network_hosts = frozenset(site_domains(site)) if site.allow_private_network else frozenset()
        self.observations = Observations(homepage=site.homepage)
        self.budget = budget
        self.sample_reserve = budget // 2
        self.phase = "discovery"
        self.requested: set[str] = set()
        self.robots: dict[str, Any] = {}  # host:port → its robots.txt parser
        self.robots_seen = False
        self.link_extractor = LinkExtractor()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> DiscoverySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.request_sent, signal=signals.request_reached_downloader)
        return spider

    # -- requests --------------------------------------------------------------------------------

    def request(self, url: str, kind: str, callback: Any, *, base: str | None = None, via: str = "",
                priority: int = 0) -> Request | None:
        """A request within scope and budget, never the same URL twice; None otherwise."""
        try:
            url = strip_session_ids(absolute_url(url, base))
        except MalformedURL as error:
            refusals_of(self.crawler).note("malformed", str(url), str(error))
            return None
        if reason := refusal(url, self.site):
            refusals_of(self.crawler).note(reason, url, f"site {self.site.name}" if reason != "scheme" else "")
            return None
        if url in self.requested:
            return None
        limit = self.budget - (self.sample_reserve if self.phase == "discovery" else 0)
        if self.observations.requests + 1 >= limit:  # + 1: robots.txt
            self.observations.over_budget += 1
            return None
        try:
            request = new_request(url, callback=callback, errback=self.failed, priority=priority,
                                  meta={"newsarchive": {"site": self.site.name}, "kind": kind, "via": via})
        except MalformedURL as error:
            refusals_of(self.crawler).note("malformed", url, str(error))
            return None
        self.requested.add(url)
        self.observations.requests += 1
        return request

    def schedule(self, request: Request | None) -> None:
        """For requests made outside a callback (signal handlers)."""
        if request is not None:
            self.crawler.engine.crawl(request)

    async def start(self) -> AsyncIterator[Request]:
        request = self.request(self.site.homepage, "homepage", self.parse_homepage, priority=20)
        if request is not None:
            yield request

    def same_host(self, url: str) -> bool:
        home = self.observations.homepage_url or self.site.homepage
        return urlsplit(url).netloc.lower() == urlsplit(home).netloc.lower()

    def found(self, url: str, source: str, hints: dict[str, str] | None = None, *, base: str | None = None) -> None:
        """Note a link as a possible sample page (robots.txt's verdict noted too)."""
        try:
            url = strip_session_ids(absolute_url(url, base))
        except MalformedURL:
            return
        if refusal(url, self.site) or not is_page_url(url):
            return
        self.observations.add_candidate(url, source, hints, allowed=self.allowed_by_robots(url))

    def request_sent(self, request: Request) -> None:
        """Every request that goes out: robots.txt, redirect hops and retries included."""
        self.observations.sent += 1

    # -- callbacks -------------------------------------------------------------------------------

    def parse_homepage(self, response: Response) -> Iterator[Request | None]:
        observations = self.observations
        observations.homepage_url = response.url
        observed = self.observe(response)
        if not self.robots_seen:  # robots.txt could not be fetched: a crawl reads no Sitemap: line either
            self.robots_seen = True
            self.probe_sitemaps()
        if observed is None:
            observations.homepage_error = "not an HTML page"
            return
        page, document = observed
        feeds = [link.attrib["href"] for link in response.xpath("//link[@rel='alternate'][@href]")
                 if (link.attrib.get("type") or "").strip().lower() in FEED_TYPES]
        for href in feeds[:MAX_FEEDS]:
            yield self.request(href, "feed", self.parse_feed, base=response.url, via="homepage <link>")
        if not feeds:
            for path in PROBED_FEEDS:
                yield self.request(urljoin(response.url, path), "feed", self.parse_feed, via="common path")
        for link in page.links:
            self.found(link, "homepage")
        sections = [url for href in navigation_hrefs(document.tree)
                    for url in [response.urljoin(href)] if self.same_host(url) and looks_like_section(url)
                    and url.rstrip("/") != response.url.rstrip("/")]
        observations.nav_links = list(dict.fromkeys(sections))
        allowed = []
        for url in observations.nav_links:
            if self.allowed_by_robots(url):
                allowed.append(url)
            else:
                self.found(url, "navigation")  # noted as disallowed, for the warning
        for url in allowed[:MAX_SECTIONS]:
            yield self.request(url, "section", self.parse_page)

    def parse_page(self, response: Response) -> None:
        """A navigation link or a sample page: classified; a navigation page's links join the candidates."""
        observed = self.observe(response)
        if observed is not None and observed[0].kind == "section":
            for link in observed[0].links:
                self.found(link, "section")

    def observe(self, response: Response) -> tuple[Page, Document] | None:
        """Classify an HTML page as a crawl would (no article_patterns yet: they are what is being inferred);
        None for anything that is not HTML."""
        meta = response.meta
        requested = (meta.get("redirect_urls") or [response.url])[0]
        page = Page(url=response.url, requested=requested, kind=meta["kind"], status=response.status)
        self.observations.pages[response.url] = page
        content_type = response.headers.get(b"Content-Type") or b"html"
        document = parse_html(response.body, content_type=content_type.decode("latin-1")) \
            if isinstance(response, TextResponse) and b"html" in content_type else None
        if document is None or not isinstance(response, TextResponse):
            page.error = "not an HTML page"
            return None
        page.is_article, page.signals = classify_page(document, response.url)
        page.scripts = len(document.tree.xpath(SCRIPT_XPATH))
        page.links = [link.url for link in self.link_extractor.extract_links(response)]
        return page, document

    def failed(self, failure: Any) -> None:
        """A request that got no usable response: why, for the report."""
        request = failure.request
        meta = request.meta
        status = failure.value.response.status if failure.check(HttpError) else None
        reason = f"HTTP {status}" if status else failure.getErrorMessage()
        if reason == FORBIDDEN_BY_ROBOTS:
            reason = ROBOTS_DISALLOW
        if meta.get("redirect_urls"):
            reason += f" (redirected to {request.url})"
        if meta["kind"] == "homepage":
            self.observations.homepage_error = reason
            if "non-public address" in reason:
                self.observations.private_network = reason
            if not self.robots_seen and status:  # the server answers, just not with a homepage
                self.robots_seen = True
                self.probe_sitemaps()
        elif meta["kind"] in ("sitemap", "feed"):
            self.observations.sources.append(Source(request.url, meta["kind"], meta["via"], error=reason))
        else:
            self.observations.pages[request.url] = Page(url=request.url, requested=request.url, kind=meta["kind"],
                                                        status=status, error=reason)
        log.debug("discover: %s not used: %s", request.url, reason)

    # -- the sample ------------------------------------------------------------------------------

    def idle(self) -> None:
        """Discovery has gone quiet: fetch the sample (once), then let the crawl end."""
        if self.phase != "discovery":
            return
        self.phase = "sample"
        observations = self.observations
        if observations.private_network:
            return
        fetched = set(observations.pages) | {page.requested for page in observations.pages.values()}
        home = (observations.homepage_url or self.site.homepage).rstrip("/")
        candidates = [candidate for url, candidate in observations.candidates.items()
                      if self.same_host(url) and url not in fetched and url.rstrip("/") != home]
        scheduled = False
        for url in choose_sample(candidates, self.budget - observations.requests - 1):
            request = self.request(url, "sample", self.parse_page)
            if request is not None:
                self.schedule(request)
                scheduled = True
        if scheduled:
            raise DontCloseSpider
