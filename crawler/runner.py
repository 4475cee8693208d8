"""Run one crawl in this process with the project's settings and return its report and exit code."""

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.discovery.window import Window
from crawler.exit_codes import ExitCode
from crawler.middlewares.politeness import blocked_sites
from crawler.resolver import dns_servers
from crawler.session import SESSION_ATTRIBUTE
from crawler.sites import Site
from crawler.spiders.news import NewsSpider, site_domains
from pipelines.store.base import open_store

log = logging.getLogger(__name__)


@dataclass
class CrawlResult:
    exit_code: ExitCode
    report: dict[str, Any] | None
    stats: dict[str, Any]
    blocked: list[str]


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """settings/ (with its environment overrides), then the caller's overrides on top."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.update(overrides or {}, priority="cmdline")
    return settings


def politeness_slots(sites: list[Site]) -> dict[str, dict[str, float]]:
    """DOWNLOAD_SLOTS entries so each site's `delay` applies to all its hosts."""
    return {domain: {"delay": site.delay} for site in sites if site.delay is not None
            for domain in site_domains(site)}


def exit_code_for(report: dict[str, Any] | None, stats: dict[str, Any]) -> ExitCode:
    if report is None:
        return ExitCode.FAILURE
    if report["failed_uploads"]:
        return ExitCode.UPLOAD_PENDING
    if report["exit_reason"] == "shutdown":
        return ExitCode.INTERRUPTED
    if blocked_sites(stats):
        return ExitCode.BLOCKED
    if not stats.get("downloader/response_count"):
        return ExitCode.FAILURE
    return ExitCode.OK


def run_crawl(sites: list[Site], overrides: dict[str, Any] | None = None, window: Window | None = None) -> CrawlResult:
    """Crawl the sites into ARCHIVE_URI (only what was published in `window`, if given); blocks until the
    run report is written."""
    settings = project_settings(overrides)
    open_store(settings.get("ARCHIVE_URI"))  # a bad ARCHIVE_URI fails here (StoreConfigError), before any request
    dns_servers(settings.getlist("DNS_SERVERS"))  # and a bad DNS_SERVERS here (ResolverConfigError)
    slots = politeness_slots(sites)
    if slots:
        settings.set("DOWNLOAD_SLOTS", {**settings.getdict("DOWNLOAD_SLOTS"), **slots}, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, sites=sites, window=window)
    process.start()
    session = getattr(crawler, SESSION_ATTRIBUTE, None)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    report = session.report if session else None
    return CrawlResult(exit_code=exit_code_for(report, stats), report=report, stats=stats,
                       blocked=blocked_sites(stats))
