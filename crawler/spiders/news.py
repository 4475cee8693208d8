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
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.config import revisit_schedule
from crawler.discovery.feeds import FeedError, parse_feed
from crawler.discovery.sitemaps import SitemapEntry, SitemapError, parse_sitemap
from crawler.discovery.traps import ShapeBudget
from crawler.distributed.leases import acknowledge_failed
from crawler.distributed.run import shared_run_of
from crawler.scope import DEFAULT_MAX_URL_LENGTH, MalformedURL, absolute_url, refusal, refusals_of, site_domains
from crawler.session import archive_session, crawl_seen_store
from crawler.sites import Site
from crawler.spiders import revisits
from crawler.spiders.budget import BUDGET_EXHAUSTED, PageBudget
from crawler.spiders.policy import BackfillPolicy, CrawlPolicy, IncrementalPolicy
from pipelines.days import DayRange
from pipelines.extract.urls import strip_session_ids
from pipelines.run.report import site_stat
from pipelines.state.seen import SeenStore, Validators

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


def page_item(response: Response, site: Site) -> dict[str, Any]:
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


class NewsSpider(Spider):
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
        # No allow_domains or deny here: hosts and deny_patterns are crawler.scope's, checked in request().
        self.link_extractor = LinkExtractor()

    # -- requests --------------------------------------------------------------------------------

    def request(self, url: str, site: Site, found: dict[str, Any], *, callback: Any = None,
                priority: int = 0, base: str | None = None) -> Request | None:
        """A request carrying its site and discovery, or None when it is not to be fetched (the reason counted).
        `url` may be relative to `base`; a malformed or out-of-scope one is refused here, whatever produced it."""
        try:
            url = strip_session_ids(absolute_url(url, base, max_length=self.max_url_length))
        except MalformedURL as error:
            refusals_of(self.crawler).note("malformed", str(url), str(error))
            return None
        if reason := refusal(url, site):
            refusals_of(self.crawler).note(reason, url, f"site {site.name}" if reason != "scheme" else "")
            return None
        page = callback is None  # else a feed or a sitemap
        skip = self.skip_reason(url, site, found, page=page)
        if skip:
            self.crawler.stats.inc_value(f"newsarchive/skipped/{skip}")
            return None
        if page and found["via"] != "seed":
            priority = self.policy.page_priority(url, found["hints"], priority)
        self.crawler.stats.inc_value(site_stat(site.name, "discovered"))
        meta: dict[str, Any] = {"newsarchive": {"site": site.name, "discovery": found}}
        if page and site.render:
            meta["render"] = True  # through headless Chromium (crawler/render/); feeds and sitemaps are not
        request = Request(url, callback=callback or self.parse, errback=self.failed, priority=priority, meta=meta)
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

    @property
    def max_url_length(self) -> int:
        return self.settings.getint("URLLENGTH_LIMIT") or DEFAULT_MAX_URL_LENGTH

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
                yield revisits.conditional(request, tracked)

    def probe_requests(self, site: Site, paths: tuple[str, ...], callback: Any) -> Iterator[Request]:
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

    def conditional(self, request: Request) -> Request:
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

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
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

    def parse_sitemap(self, response: Response) -> Iterator[Request | None]:
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

    def wanted_sitemap(self, entry: SitemapEntry) -> bool:
        """Prune index children the policy does not need (unchanged since the last clean run, outside a window)."""
        known = self.seen.validators(entry.loc).lastmod if self.seen is not None and entry.lastmod else None
        if reason := self.policy.sitemap_skip(entry, known):
            self.crawler.stats.inc_value(f"newsarchive/skipped/{reason}")
            return False
        return True

    def parse_feed(self, response: Response) -> Iterator[Request | None]:
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

    def not_modified(self, response: Response) -> bool:
        """A 304 to our conditional GET: archived by the capture, nothing new to parse."""
        if response.status != 304:
            return False
        self.crawler.stats.inc_value("newsarchive/not_modified")
        return True

    def keep_validators(self, response: Response, *, http: bool = True, lastmod: str | None = None) -> None:
        """Remember a parsed feed's or sitemap's validators; saved by closed() if the run completes."""
        validators = Validators(etag=header_text(response, b"ETag") if http else None,
                                last_modified=header_text(response, b"Last-Modified") if http else None,
                                lastmod=lastmod)
        if validators != Validators():
            self.pending_validators[response.url] = validators

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
