"""Where `discover`'s links come from besides its pages: robots.txt (its rules, crawl delay and `Sitemap:`
lines, else the common sitemap paths), sitemaps (the newest children of an index) and feeds. A mixin of the
discovery spider (crawler/spiders/discover.py), which owns `request()`, `found()` and the observations these fill,
as FeedsAndSitemaps (crawler/spiders/sources.py) is of the news spider.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response

from crawler.discovery.feeds import FeedError, parse_feed
from crawler.discovery.probe import Source
from crawler.discovery.sitemaps import SitemapError, parse_sitemap
from crawler.spiders.sources import PROBED_SITEMAPS, robots_url

if TYPE_CHECKING:
    from crawler.spiders.discover import DiscoverySpider

MAX_SITEMAPS = 4          # robots.txt sitemaps read
MAX_INDEX_CHILDREN = 2    # children read of each sitemap index (the newest)
MAX_SITEMAP_DEPTH = 2
MAX_ENTRIES_KEPT = 5000   # links kept per feed or sitemap (memory stays bounded on a 50 000-URL sitemap)


class ProbeSources:
    """The discovery spider's robots.txt, sitemap and feed handling (see module docstring)."""

    def robots_agent(self: DiscoverySpider) -> str:
        """The user agent robots.txt is read for (as RobotsTxtMiddleware does; not `user_agent`, which Scrapy
        reads off a spider as its User-Agent)."""
        return self.settings.get("ROBOTSTXT_USER_AGENT") or self.settings.get("USER_AGENT") or ""

    def allowed_by_robots(self: DiscoverySpider, url: str) -> bool:
        """robots.txt's verdict, as RobotsTxtMiddleware will give it (no robots.txt: allowed)."""
        parser = self.robots.get(urlsplit(url).netloc)
        return parser is None or bool(parser.allowed(url, self.robots_agent()))

    def response_downloaded(self: DiscoverySpider, response: Response, request: Request) -> None:
        """The status of the homepage host's robots.txt, from RobotsTxtMiddleware's own request for it."""
        if request.meta.get("dont_obey_robotstxt") and urlsplit(response.url).path == "/robots.txt" \
                and self.same_host(response.url):
            self.observations.robots_status = response.status

    def robots_parsed(self: DiscoverySpider, robotparser: Any, request: Request) -> None:
        """A robots.txt of the site (the homepage's host, or where it redirects): its rules judge the links found
        on that host, its sitemaps are read; the homepage host's naming none, the common paths are tried."""
        netloc = urlsplit(request.url).netloc
        self.robots[netloc] = robotparser
        protego = getattr(robotparser, "rp", None)
        declared = [url for url in (protego.sitemaps if protego is not None else ())
                    if url not in self.observations.robots_sitemaps]
        self.observations.robots_sitemaps += declared
        delay = robotparser.crawl_delay(self.robots_agent()) if hasattr(robotparser, "crawl_delay") else None
        self.observations.crawl_delay = max(delay or 0, self.observations.crawl_delay or 0) or None
        for url in declared[:MAX_SITEMAPS]:
            self.schedule(self.request(url, "sitemap", self.parse_sitemap, base=robots_url(request.url),
                                       via="robots.txt"))
        if not self.robots_seen and not declared and netloc == urlsplit(self.site.homepage).netloc:
            self.probe_sitemaps()
        self.robots_seen = True

    def probe_sitemaps(self: DiscoverySpider) -> None:
        for path in PROBED_SITEMAPS:
            self.schedule(self.request(urljoin(self.site.homepage, path), "sitemap", self.parse_sitemap,
                                       via="common path"))

    def parse_sitemap(self: DiscoverySpider, response: Response) -> Iterator[Request | None]:
        meta = response.meta
        source = Source(response.url, "sitemap", meta["via"])
        self.observations.sources.append(source)
        try:
            sitemap = parse_sitemap(response.body)
        except SitemapError as error:
            source.error = str(error)
            return
        source.children = len(sitemap.sitemaps)
        source.entries = len(sitemap.urls)
        depth = meta.get("sitemap_depth", 0)
        if depth < MAX_SITEMAP_DEPTH:
            newest = sorted(enumerate(sitemap.sitemaps), key=lambda pair: (pair[1].lastmod or "", pair[0]),
                            reverse=True)
            for _, entry in newest[:MAX_INDEX_CHILDREN]:
                request = self.request(entry.loc, "sitemap", self.parse_sitemap, base=response.url,
                                       via=f"index {response.url}")
                if request is not None:
                    request.meta["sitemap_depth"] = depth + 1
                    yield request
        for entry in sitemap.urls:
            hints = entry.hints()
            source.news_entries += bool(entry.news_publication_date or entry.news_title)
            source.dated_entries += "published_at" in hints or "lastmod" in hints
        for entry in sitemap.urls[:MAX_ENTRIES_KEPT]:
            news = entry.news_publication_date or entry.news_title
            self.found(entry.loc, "news-sitemap" if news else "sitemap", entry.hints(), base=response.url)

    def parse_feed(self: DiscoverySpider, response: Response) -> None:
        source = Source(response.url, "feed", response.meta["via"])
        self.observations.sources.append(source)
        try:
            entries = parse_feed(response.body, response.url)
        except FeedError as error:
            source.error = str(error)
            return
        source.entries = len(entries)
        source.dated_entries = sum(bool(entry.published_at) for entry in entries)
        for entry in entries[:MAX_ENTRIES_KEPT]:
            self.found(entry.url, "feed", entry.hints(), base=response.url)
