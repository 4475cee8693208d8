"""The generic news spider: homepage and sections → links, feeds and sitemaps → article items.

Every response is archived by the WARC capture extension whatever happens here; this spider only
decides what to follow and which pages are articles (and says why).

An article URL whose record was written by an earlier run (the seen-store) is not requested again unless
the crawl refetches. What else differs between a daily crawl and a backfill of a date window is the crawl's
policy (crawler/spiders/policy.py): seeds, which discovered URLs are wanted, their priority, conditional GET.
Sites with a revisit schedule get their recently archived articles fetched again when due, conditionally
(docs/versions.md); the item side decides whether the text changed.
"""

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.config import revisit_schedule
from crawler.discovery.traps import ShapeBudget
from crawler.distributed.leases import acknowledge_failed
from crawler.distributed.run import shared_run_of
from crawler.items import PageItem
from crawler.scope import DEFAULT_MAX_URL_LENGTH, LinkScope, MalformedURL, new_request, refusals_of, site_domains
from crawler.session import archive_session, crawl_seen_store
from crawler.sites import Site
from crawler.spiders import revisits
from crawler.spiders.budget import BUDGET_EXHAUSTED, PageBudget
from crawler.spiders.policy import BackfillPolicy, CrawlPolicy, IncrementalPolicy
from crawler.spiders.sources import FEED_TYPES, PROBED_FEEDS, FeedsAndSitemaps, discovery
from pipelines.days import DayRange
from pipelines.run.report import site_stat
from pipelines.state.seen import SeenStore, Validators

log = logging.getLogger(__name__)

def page_item(response: Response, site: Site) -> PageItem:
    """What the item pipelines need to classify the page and build a record if it is an article (in an extraction
    worker: pipelines.records.page); the body is the decoded page."""
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
        "rules": site.extract,
        "article_patterns": site.article_patterns,
        "deny_patterns": site.deny_patterns,
        "discovery": meta["newsarchive"]["discovery"],
        "rendered": bool(meta.get("rendered")),
        "fetch": revisits.page_fetch(response),  # remembered for the next conditional GET if it is a tracked article
    }


def forget_parsed_page(response: TextResponse) -> None:
    """Drop the decoded text and parsed tree Scrapy caches on a response once its links are out.

    The response stays in Scrapy's scraper slot until its item's extraction is done, and the slot counts only body
    bytes: with the tree (many times the body's size) still cached, a slot big enough to keep the extraction
    workers busy made the crawl process grow without bound. Anything that still asks parses again. Scrapy has no
    public way to clear the cache; its attributes are the same in the versions pyproject allows.
    """
    for cache in ("_cached_selector", "_cached_ubody"):
        if hasattr(response, cache):
            setattr(response, cache, None)


class NewsSpider(FeedsAndSitemaps, Spider):
    """Crawl the sites of a sites file; see module docstring."""

    name = "news"

    def __init__(self, sites: Iterable[Site] = (), window: DayRange | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sites = {site.name: site for site in sites}
        self.policy: CrawlPolicy = BackfillPolicy(window) if window is not None else IncrementalPolicy()
        self.seen: SeenStore | None = None
        self.pending_validators: dict[str, Validators] = {}
        self.shapes = ShapeBudget(0)
        self.site_names = list(self.sites)
        self.private_network_hosts = frozenset(domain for site in self.sites.values()
                                               if site.allow_private_network for domain in site_domains(site))
        self.schedules: dict[str, tuple[timedelta, ...]] = {}  # site → revisit schedule (versions tracked)
        self.budget = PageBudget(0)
        self.scope = LinkScope()
        # No allow_domains or deny here: hosts and deny_patterns are crawler.scope's, checked in request().
        self.link_extractor = LinkExtractor()

    # -- requests --------------------------------------------------------------------------------

    def request(self, url: str, site: Site, found: dict[str, Any], *, callback: Any = None,
                priority: int = 0, base: str | None = None) -> Request | None:
        """A request carrying its site and discovery, or None when it is not to be fetched (the reason counted).
        `url` may be relative to `base`; a malformed or out-of-scope one is refused here, whatever produced it."""
        url, reason, detail = self.scope.check(url, base, site)
        if reason == "malformed":
            refusals_of(self.crawler).note(reason, url, detail)
            return None
        if reason:
            refusals_of(self.crawler).note(reason, url, f"site {site.name}" if reason != "scheme" else "")
            return None
        page = callback is None  # else a feed or a sitemap
        skip = self.skip_reason(url, site, found, page=page)
        if skip:
            self.crawler.stats.inc_value(f"newsarchive/skipped/{skip}")
            return None
        if page and found["via"] != "seed":
            priority = self.policy.page_priority(url, found["hints"], priority)
        meta: dict[str, Any] = {"newsarchive": {"site": site.name, "discovery": found}}
        if page and site.render:
            meta["render"] = True  # through headless Chromium (crawler/render/); feeds and sitemaps are not
        try:
            request = new_request(url, callback=callback or self.parse, errback=self.failed, priority=priority,
                                  meta=meta)
        except MalformedURL as error:
            refusals_of(self.crawler).note("malformed", url, str(error))
            return None
        self.crawler.stats.inc_value(site_stat(site.name, "discovered"))
        return request if page else self.conditional(request)

    def skip_reason(self, url: str, site: Site, found: dict[str, Any], *, page: bool) -> str | None:
        """Why a URL is not requested: site blocked, already archived, undated or outside the window, trap, budget."""
        stats = self.crawler.stats
        if stats.get_value(site_stat(site.name, "blocked")):
            return "blocked"
        if page and found["via"] != "seed":
            if self.incremental and found["via"] != "revisit" and self.seen is not None and self.seen.seen(url):
                return "seen"
            if reason := self.policy.page_skip(url, found["hints"]):
                return reason
            if (found["via"] == "link" and not any(p.search(url) for p in site.article_patterns)
                    and not self.shapes.allow(site.name, url)):
                return "trap"
        if self.budget.exhausted(site.name):
            stats.inc_value(BUDGET_EXHAUSTED)
            return "budget"
        return None

    @property
    def incremental(self) -> bool:
        return self.settings.getbool("INCREMENTAL")

    async def start(self) -> AsyncIterator[Request]:
        run = shared_run_of(self.crawler)
        if run is not None and not run.claim_seeding():
            log.info("shared crawl: another worker seeded this run; taking requests from its frontier")
            return
        for site in self.sites.values():
            for request in self.seed_requests(site):
                if request is not None:
                    yield request
        for site in self.sites.values():
            for request in self.revisit_requests(site):
                yield request

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "NewsSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.seen = crawl_seen_store(crawler)
        spider.shapes = ShapeBudget(crawler.settings.getint("MAX_URLS_PER_SHAPE"))
        spider.budget = PageBudget.from_crawler(crawler)
        spider.scope = LinkScope(crawler.settings.getint("URLLENGTH_LIMIT") or DEFAULT_MAX_URL_LENGTH)
        if isinstance(spider.policy, IncrementalPolicy):
            spider.policy = IncrementalPolicy(refetch=not crawler.settings.getbool("INCREMENTAL"))
        spider.schedules = revisits.schedules(spider.sites.values(), revisit_schedule(crawler.settings))
        archive_session(crawler).versioned_sites.update(spider.schedules)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        return spider

    def seed_requests(self, site: Site) -> Iterator[Request | None]:
        """The policy's seed pages (homepage, sections), then the site's feeds and sitemaps."""
        for url in self.policy.seed_pages(site):
            yield self.request(url, site, discovery("seed", None), priority=10)
        for url in site.feeds:
            yield self.request(url, site, discovery("seed", None), callback=self.parse_feed, priority=15)
        for url in site.sitemaps:
            yield self.request(url, site, discovery("seed", None), callback=self.parse_sitemap, priority=15)

    def revisit_requests(self, site: Site) -> Iterator[Request]:
        """The site's archived articles whose revisit is due (crawler/spiders/revisits.py)."""
        schedule = self.schedules.get(site.name)
        if not schedule or self.seen is None:
            return
        for tracked in revisits.due(self.seen, self.policy, site.name, schedule):
            request = self.request(tracked.latest.url, site, discovery("revisit", None), priority=8)
            if request is not None:
                self.crawler.stats.inc_value("newsarchive/revisits/requested")
                yield revisits.conditional(request, tracked, validators=not site.render)

    def site_of(self, response: Response) -> Site:
        return self.sites[response.meta["newsarchive"]["site"]]

    # -- callbacks -------------------------------------------------------------------------------

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        """An HTML page: hand it to the item pipelines (article or not is decided off the reactor thread, in an
        extraction worker), and follow its same-site links and feeds."""
        if response.status == 304 and response.meta.get("revisit"):
            if self.seen is not None:
                revisits.remember_fetch(self.seen, response)
            self.crawler.stats.inc_value("newsarchive/revisits/not_modified")
            return
        if not isinstance(response, TextResponse) or b"html" not in (response.headers.get(b"Content-Type") or b"html"):
            return
        site = self.site_of(response)
        yield page_item(response, site)
        feeds = [link.attrib["href"] for link in response.xpath("//link[@rel='alternate'][@href]")
                 if (link.attrib.get("type") or "").strip().lower() in FEED_TYPES]
        for href in feeds:
            yield self.request(href, site, discovery("link", response.url), callback=self.parse_feed, priority=15,
                               base=response.url)
        if not feeds and response.meta.get("redirect_urls", [response.url])[0] == site.homepage:
            yield from self.probe_requests(site, PROBED_FEEDS, self.parse_feed)
        for link in self.link_extractor.extract_links(response):
            yield self.request(link.url, site, discovery("link", response.url))
        forget_parsed_page(response)

    def count_error(self, site: Site, message: str, *, probe: bool = False) -> None:
        if probe:  # a guessed path that holds something else: expected, not an error
            self.crawler.stats.inc_value("newsarchive/probes_missed")
            log.debug("probe: %s (site %s)", message, site.name)
            return
        self.crawler.stats.inc_value("newsarchive/errors")
        self.crawler.stats.inc_value(site_stat(site.name, "errors"))
        log.warning("%s (site %s)", message, site.name, extra={"event": "site_error", "site": site.name})

    def failed(self, failure: Any) -> None:
        """Errors are archived (the capture saw the response) and counted; the crawl goes on."""
        request = getattr(failure, "request", None)
        if request is not None and failure.check(IgnoreRequest) and not failure.check(HttpError):
            self.budget.refund(request)  # refused before it left: no response spent
        acknowledge_failed(self.crawler, request)
        if request is not None and request.meta.get("probe"):
            self.crawler.stats.inc_value("newsarchive/probes_missed")
            return
        self.crawler.stats.inc_value("newsarchive/fetch_failures")
        site = (request.meta.get("newsarchive") or {}).get("site") if request is not None else None
        # An HTTP error is counted by its status class (crawler.extensions.accounting); an ignored request
        # (robots.txt, a blocked site, a private address) is a decision, not a failure; the rest got no answer.
        if not failure.check(HttpError, IgnoreRequest):
            self.crawler.stats.inc_value("newsarchive/network_failures")
            if site:
                self.crawler.stats.inc_value(site_stat(site, "network_failures"))
        # DEBUG: a site's dead links would flood the log; the counts are in the stats and the run report
        log.debug("not fetched or not used: %s (%s)", request.url if request else "?", failure.getErrorMessage())

    def closed(self, reason: str) -> None:
        """Keep feed validators and sitemap lastmods only after a complete run: else entries would be missed."""
        complete = reason == "finished" and not self.crawler.stats.get_value(BUDGET_EXHAUSTED)
        if self.seen is None or not self.policy.keeps_validators() or not complete:
            return
        for url, validators in self.pending_validators.items():
            self.seen.save_validators(url, validators)
