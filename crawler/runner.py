"""One Scrapy run in this process with the project's settings: a crawl (its report and exit code) or a probe."""

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler.config import store_options
from crawler.discovery.probe import Observations
from crawler.exit_codes import ExitCode, crawl_exit_code
from crawler.middlewares.politeness import blocked_sites
from crawler.resolver import dns_servers
from crawler.session import SESSION_ATTRIBUTE
from crawler.sites import Site
from crawler.spiders.discover import DiscoverySpider
from crawler.spiders.news import NewsSpider, site_domains
from pipelines.days import DayRange
from pipelines.store.factory import open_store

log = logging.getLogger(__name__)


@dataclass
class CrawlResult:
    exit_code: ExitCode
    report: dict[str, Any] | None
    stats: dict[str, Any]
    blocked: list[str]


def politeness_slots(sites: list[Site]) -> dict[str, dict[str, float]]:
    """DOWNLOAD_SLOTS entries so each site's `delay` applies to all its hosts."""
    return {domain: {"delay": site.delay} for site in sites if site.delay is not None
            for domain in site_domains(site)}


def crawl_stats(crawler: Crawler) -> dict[str, Any]:
    """The crawl's stats; empty when it failed before Scrapy made its stats collector (Scrapy 2.19's
    `Crawler.stats` raises RuntimeError then, instead of being None)."""
    try:
        stats = crawler.stats
    except RuntimeError:
        return {}
    return stats.get_stats() if stats else {}


def run_crawl(sites: list[Site], settings: Settings, window: DayRange | None = None) -> CrawlResult:
    """Crawl the sites into ARCHIVE_URI (only what was published in `window`, if given) with the settings of
    crawler.config.load_settings; blocks until the run report is written."""
    settings = settings.copy()
    # A bad ARCHIVE_URI or S3 part size fails here (StoreConfigError), before any request.
    open_store(settings["ARCHIVE_URI"], store_options(settings))
    dns_servers(settings.getlist("DNS_SERVERS"))  # and a bad DNS_SERVERS here (ResolverConfigError)
    slots = politeness_slots(sites)
    if slots:
        settings.set("DOWNLOAD_SLOTS", {**settings.getdict("DOWNLOAD_SLOTS"), **slots}, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, sites=sites, window=window)
    process.start()
    session = getattr(crawler, SESSION_ATTRIBUTE, None)
    stats = crawl_stats(crawler)
    report = session.report if session else None
    blocked = blocked_sites(stats)
    return CrawlResult(exit_code=crawl_exit_code(report, stats, blocked), report=report, stats=stats,
                       blocked=blocked)


# Switched off for `discover`, which archives nothing: the WARC capture and the item pipelines would open an
# archive session (and with it recover and upload a killed run's spool); the live progress line is a crawl's.
DISCOVERY_OFF = {"EXTENSIONS": ("crawler.extensions.warc_capture.WarcCaptureExtension",
                                "crawler.extensions.size_cap.ResponseSizeCap",
                                "crawler.extensions.progress.ProgressExtension"),
                 "ITEM_PIPELINES": ("crawler.item_pipelines.ExtractPipeline", "crawler.item_pipelines.DedupPipeline",
                                    "crawler.item_pipelines.RecordWriterPipeline")}
# With nothing archived, a response over this is simply dropped (Scrapy's own cap, which also bounds what a
# compressed body may inflate to); the size cap extension exists to archive such bodies truncated instead.
DISCOVERY_MAX_RESPONSE = 16 * 1024 * 1024


def run_discovery(site: Site, settings: Settings, *, budget: int) -> Observations:
    """Probe one site (`newsarchive discover`) with the crawl's downloader middlewares (robots.txt, network guard,
    scope, politeness) and nothing that archives; blocks until done."""
    settings = settings.copy()
    dns_servers(settings.getlist("DNS_SERVERS"))  # a bad DNS_SERVERS fails here (ResolverConfigError)
    for name, paths in DISCOVERY_OFF.items():
        settings.set(name, {**settings.getdict(name), **dict.fromkeys(paths)}, priority="cmdline")
    settings.set("DOWNLOAD_MAXSIZE", DISCOVERY_MAX_RESPONSE, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DiscoverySpider)
    process.crawl(crawler, site=site, budget=budget)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, DiscoverySpider)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider.observations.interrupted = stats.get("finish_reason") == "shutdown"
    spider.observations.internal_errors = stats.get("spider_exceptions/count", 0)
    return spider.observations
