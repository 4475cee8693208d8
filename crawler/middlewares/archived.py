"""An article page already archived is not fetched, whenever its request was made; a redirect to one is not
followed, and the alias that led there is remembered.

The spider asks the seen-store when it discovers a link, but a request may then wait in the scheduler while
its article gets recorded through another URL (the homepage's link and the feed's, two requests racing), and
a redirect hop is a new request the spider never saw: `/story/3` answering 301 to an archived article would
be followed, fetched and recorded again on every incremental run. Asked once more here, just before the
request leaves. Only incremental crawls (`crawl --refetch` fetches again on purpose), only article pages
(seeds, feeds and sitemaps are re-checked every run).
"""

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.session import crawl_seen_store


class ArchivedPageMiddleware:
    """Downloader middleware, early in the chain (nothing is spent on a request that will not leave)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen = crawl_seen_store(crawler)
        self.incremental = crawler.settings.getbool("INCREMENTAL")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def is_article_page(self, request: Request) -> bool:
        """A page the spider found (not a seed) and parses as a page (not a feed or sitemap)."""
        found = (request.meta.get("newsarchive") or {}).get("discovery") or {}
        spider = self.crawler.spider
        return found.get("via", "seed") != "seed" and request.callback == getattr(spider, "parse", None)

    def process_request(self, request: Request) -> None:
        if not self.incremental or not self.is_article_page(request) or not self.seen.seen(request.url):
            return
        aliases = request.meta.get("redirect_urls") or []
        site = (request.meta.get("newsarchive") or {}).get("site") or ""
        for url in aliases:
            self.seen.add(url, site)
        self.crawler.stats.inc_value("newsarchive/skipped/" + ("archived_redirect" if aliases else "archived"))
        raise IgnoreRequest(f"{request.url} is archived already" + (f" (reached from {aliases[0]})" if aliases else ""))
