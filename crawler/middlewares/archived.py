"""An article page already archived is not fetched, whenever its request was made; a redirect to one is not
followed, and the alias that led there is remembered.

The spider asks the seen-store when it discovers a link, but a request may then wait in the scheduler while
its article gets recorded through another URL (the homepage's link and the feed's, two requests racing), and
a redirect hop is a new request the spider never saw: `/story/3` answering 301 to an archived article would
be followed, fetched and recorded again on every incremental run. Asked once more here, just before the
request leaves. Only incremental crawls (`crawl --refetch` fetches again on purpose), only article pages
(seeds, feeds and sitemaps are re-checked every run). A revisit (docs/versions.md) is an archived article's
page fetched again on purpose: it passes.

A redirect whose target is already on its way in this run (requested through another link) never gets
here: Scrapy's duplicate filter drops it. The alias is then remembered once the target's record is written
(`item_scraped`), so the next run does not ask for `/story/3` again either.
"""

from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.session import crawl_seen_store
from pipelines.state.seen import record_urls, seen_key


class ArchivedPageMiddleware:
    """Downloader middleware, early in the chain (nothing is spent on a request that will not leave)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen = crawl_seen_store(crawler)
        self.incremental = crawler.settings.getbool("INCREMENTAL")
        self.pending_aliases: dict[str, tuple[str, set[str]]] = {}  # target (seen key) → (site, alias URLs)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(middleware.item_scraped, signal=signals.item_scraped)
        return middleware

    def request_dropped(self, request: Request, **_: Any) -> None:
        """A redirect to a page already requested in this run: its aliases wait for the page's record."""
        aliases = request.meta.get("redirect_urls") or []
        if not self.incremental or not aliases or not self.is_article_page(request):
            return
        site = (request.meta.get("newsarchive") or {}).get("site") or ""
        if self.seen.seen(request.url):
            for url in aliases:
                self.seen.add(url, site)
            return
        self.pending_aliases.setdefault(seen_key(request.url), (site, set()))[1].update(aliases)

    def item_scraped(self, item: Any, **_: Any) -> None:
        record = item.get("record") if isinstance(item, dict) else None
        for url in record_urls(record or {}):
            site, aliases = self.pending_aliases.pop(seen_key(url), ("", set()))
            for alias in aliases:
                self.seen.add(alias, site)

    def is_article_page(self, request: Request) -> bool:
        """A page the spider found (not a seed) and parses as a page (not a feed or sitemap)."""
        found = (request.meta.get("newsarchive") or {}).get("discovery") or {}
        spider = self.crawler.spider
        return found.get("via", "seed") != "seed" and request.callback == getattr(spider, "parse", None)

    def process_request(self, request: Request) -> None:
        if (not self.incremental or request.meta.get("revisit") or not self.is_article_page(request)
                or not self.seen.seen(request.url)):
            return
        aliases = request.meta.get("redirect_urls") or []
        site = (request.meta.get("newsarchive") or {}).get("site") or ""
        for url in aliases:
            self.seen.add(url, site)
        self.crawler.stats.inc_value("newsarchive/skipped/" + ("archived_redirect" if aliases else "archived"))
        raise IgnoreRequest(f"{request.url} is archived already" + (f" (reached from {aliases[0]})" if aliases else ""))
