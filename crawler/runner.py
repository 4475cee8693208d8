"""One Scrapy run in this process with the project's settings: a crawl (its report and exit code) or a probe."""

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor

from crawler import interrupt
from crawler.alerts import post_alert
from crawler.discovery.probe import Observations
from crawler.distributed.run import join_run, open_shared_run, shared_settings
from crawler.exit_codes import ExitCode, crawl_exit_code, startup_exit_code
from crawler.extensions.metrics import write_textfile
from crawler.logs import crawler_process
from crawler.middlewares.politeness import blocked_sites
from crawler.render.setup import RenderUnavailable, render_settings
from crawler.resolver import ResolverConfigError, dns_servers
from crawler.session import bind_session, open_archive_session
from crawler.shutdown import Shutdown
from crawler.sites import Site
from crawler.spiders.discover import DiscoverySpider
from crawler.spiders.news import NewsSpider, site_domains
from pipelines.days import DayRange
from pipelines.gcpolicy import freeze_start_up
from pipelines.state.crawlrun import SharedRun
from pipelines.state.heartbeat import Heartbeat
from pipelines.store.base import StoreError

log = logging.getLogger(__name__)


@dataclass
class CrawlResult:
    exit_code: ExitCode
    report: dict[str, Any] | None
    stats: dict[str, Any]
    blocked: list[str]
    report_in_spool: Path | None = None  # the report, when it could not be uploaded
    problem: str | None = None          # why the crawl did not start, when it did not
    spooled: list[str] = field(default_factory=list)


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
def not_started(code: ExitCode, problem: str) -> CrawlResult:
    return CrawlResult(exit_code=code, report=None, stats={}, blocked=[], problem=problem)


def run_crawl(sites: list[Site], settings: Settings, window: DayRange | None = None) -> CrawlResult:
    """Crawl the sites into ARCHIVE_URI (only what was published in `window`, if given) with the settings of
    crawler.config.load_settings; blocks until the run report is written.

    Everything that can stop the crawl from starting (spool, archive, state, Redis) is opened before Scrapy
    starts: a failure there is a CrawlResult with `problem` set and nothing fetched. Ctrl-C and SIGTERM are
    handled by crawler.shutdown from then on (before, they raise crawler.interrupt.Interrupted: nothing fetched).
    """
    settings = settings.copy()
    slots = politeness_slots(sites)
    if slots:
        settings.set("DOWNLOAD_SLOTS", {**settings.getdict("DOWNLOAD_SLOTS"), **slots}, priority="cmdline")
    shared: SharedRun | None = None
    proposed_id = settings.get("CRAWL_ID") or ""
    try:
        rendering = render_settings(sites, settings)
    except RenderUnavailable as error:
        return not_started(ExitCode.USAGE, str(error))
    for name, value in rendering.items():
        settings.set(name, value, priority="cmdline")
    try:
        dns_servers(settings.getlist("DNS_SERVERS"))  # a bad DNS_SERVERS value: ResolverConfigError
        if settings.get("REDIS_URL"):
            shared = open_shared_run(settings, sites, window)
            settings = shared_settings(settings, shared)
        session = open_archive_session(settings)
    except (ResolverConfigError, StoreError) as error:
        return not_started(startup_exit_code(error), str(error))
    shutdown = Shutdown()
    shutdown.install()
    interrupt.check()  # a Ctrl-C before now that an import swallowed still stops the crawl before it starts
    install_reactor(settings["TWISTED_REACTOR"], settings.get("ASYNCIO_EVENT_LOOP"))
    process = crawler_process(settings)
    crawler = process.create_crawler(NewsSpider)
    bind_session(crawler, session, deadline=shutdown.deadline)
    heartbeat = None
    if shared is not None:
        join_run(crawler, shared, session, proposed_id)
        heartbeat = Heartbeat(shared)
        heartbeat.start()
    shutdown.attach(process, crawler)
    process.crawl(crawler, sites=sites, window=window)
    freeze_start_up()
    try:
        process.start(install_signal_handlers=False)
    finally:
        if heartbeat is not None:
            heartbeat.stop()
    if shutdown.forced and crawler.spider is not None:  # the reactor is stopped: nothing can write any more
        crawler.signals.send_catch_log(signal=signals.spider_closed, spider=crawler.spider, reason="shutdown")
    stats = crawl_stats(crawler)
    if session.report is None and shutdown.requested:  # stopped before the spider opened
        session.finish("shutdown", stats=stats, sites=[site.name for site in sites], deadline=shutdown.deadline())
    blocked = blocked_sites(stats)
    report = session.report
    exit_code = crawl_exit_code(report, stats, blocked)
    if session.run_report is not None and settings.get("ALERT_WEBHOOK"):  # the run's report, merged when shared
        post_alert(settings["ALERT_WEBHOOK"], session.run_report, int(exit_code))
    if settings.get("METRICS_TEXTFILE"):
        write_textfile(Path(settings["METRICS_TEXTFILE"]).expanduser(), crawler, exit_code=int(exit_code),
                       reason=report["exit_reason"] if report else "failed")
    return CrawlResult(exit_code=exit_code, report=report, stats=stats, blocked=blocked,
                       report_in_spool=session.report_in_spool, spooled=session.output.spool.pending())


# Switched off for `discover`, which archives nothing: the WARC capture, every item pipeline (all of them, whatever
# a later one adds: run_discovery) and the archived-page check would open an archive session (and with it recover
# and upload a killed run's spool); the live progress line, metrics and the disk floor are a crawl's.
DISCOVERY_OFF = {"EXTENSIONS": ("crawler.extensions.warc_capture.WarcCaptureExtension",
                                "crawler.extensions.size_cap.ResponseSizeCap",
                                "crawler.extensions.progress.ProgressExtension",
                                "crawler.extensions.metrics.MetricsExtension",
                                "crawler.extensions.disk_floor.DiskFloor"),
                 "DOWNLOADER_MIDDLEWARES": ("crawler.middlewares.archived.ArchivedPageMiddleware",)}
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
    settings.set("ITEM_PIPELINES", dict.fromkeys(settings.getdict("ITEM_PIPELINES")), priority="cmdline")
    settings.set("DOWNLOAD_MAXSIZE", DISCOVERY_MAX_RESPONSE, priority="cmdline")
    process = crawler_process(settings)
    crawler = process.create_crawler(DiscoverySpider)
    process.crawl(crawler, site=site, budget=budget)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, DiscoverySpider)
    stats = crawl_stats(crawler)
    spider.observations.interrupted = stats.get("finish_reason") == "shutdown"
    spider.observations.internal_errors = stats.get("spider_exceptions/count", 0)
    return spider.observations
