"""Opening a worker of a shared crawl: which run it joins, the Scrapy settings that make it share, its report.

Processes started with the same sites, window and incremental setting into the same archive are one run
(`run_key`). The run's id is the first worker's (CRAWL_ID names it when set); each worker keeps a crawl id
of its own for what it writes (WARC names, state files), so two workers never pick the same key. A worker's
report is left in Redis; the last worker to finish writes the run's one merged report to `runs/<run id>.json`.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import Settings

from crawler.sites import Site
from pipelines.days import DayRange
from pipelines.run.report import RunReport, merge_reports, new_crawl_id
from pipelines.run.session import ArchiveSession
from pipelines.state.crawlrun import SharedRun, run_key
from pipelines.state.redis_client import riding_out_outages

LEASE_META = "newsarchive_lease"
RUN_ATTRIBUTE = "_newsarchive_shared_run"
SHARED_SETTINGS = {
    "SCHEDULER": "crawler.distributed.scheduler.SharedScheduler",
    "SCHEDULER_QUEUE_CLASS": "crawler.distributed.scheduler.LeasedQueue",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,
    "AUTOTHROTTLE_ENABLED": False,  # one process's view of a server's latency; the shared turns pace instead
}
SHARED_COMPONENTS = {
    # outermost: the output it sees is what reaches the scheduler and the item pipelines
    "SPIDER_MIDDLEWARES": {"crawler.distributed.leases.LeaseMiddleware": 1},
    "EXTENSIONS": {"crawler.distributed.leases.SharedCrawlExtension": 130},
    "DOWNLOADER_MIDDLEWARES": {"crawler.distributed.gate.PolitenessGateMiddleware": 990,
                               "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                               "crawler.middlewares.robots.SharedRobotsTxtMiddleware": 100},
}


def crawl_identity(sites: list[Site], window: DayRange | None, settings: Settings) -> dict[str, Any]:
    """What two processes must agree on to be one crawl."""
    return {"sites": sorted((site.name, site.homepage, tuple(site.feeds), tuple(site.sitemaps)) for site in sites),
            "window": [str(window.start), str(window.end)] if window is not None else None,
            "incremental": settings.getbool("INCREMENTAL")}


def open_shared_run(settings: Settings, sites: list[Site], window: DayRange | None) -> SharedRun:
    """The Redis side of this crawl, connected now (StoreError when Redis does not answer or REDIS_URL is bad)."""
    return SharedRun.open(settings["REDIS_URL"], settings["ARCHIVE_URI"], run_key(crawl_identity(sites, window,
                          settings)), lease_timeout=settings.getfloat("DISTRIBUTED_LEASE_TIMEOUT"))


def shared_settings(settings: Settings, run: SharedRun) -> Settings:
    """The worker's settings: scrapy-redis's scheduler on the run's keys; its own crawl id (CRAWL_ID names the
    run, see join_run)."""
    settings = settings.copy()
    settings.update({**SHARED_SETTINGS, "SCHEDULER_QUEUE_KEY": run.frontier,
                     "SCHEDULER_DUPEFILTER_KEY": run.fingerprints, "CRAWL_ID": "",
                     "REDIS_PARAMS": {**settings.getdict("REDIS_PARAMS"), **riding_out_outages()}}, priority="cmdline")
    for name, components in SHARED_COMPONENTS.items():
        settings.set(name, {**settings.getdict(name), **components}, priority="cmdline")
    return settings


def join_run(crawler: Crawler, run: SharedRun, session: ArchiveSession, proposed_id: str) -> str:
    """Register the worker (after its session opened: recovery may take long, and a worker is counted from its
    heartbeat on), bind the run to the crawler and the session's report to the run; → the run's id."""
    run_id = run.join(proposed_id or new_crawl_id(), {"host": socket.gethostname(), "pid": os.getpid(),
                                                      "crawl_id": session.crawl_id})
    setattr(crawler, RUN_ATTRIBUTE, run)
    session.report_details = {"distributed": {"run": run_id, "worker": run.worker}}

    def share_report(report: dict[str, Any]) -> RunReport | None:
        if not run.finish(report, run_id):
            return None
        merged = merge_reports(run_id, run.worker_reports(), lost=run.lost_workers())
        run.clear()
        return merged

    session.share_report = share_report
    return run_id


def shared_run_of(crawler: Crawler) -> SharedRun | None:
    return getattr(crawler, RUN_ATTRIBUTE, None)
