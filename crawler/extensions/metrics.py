"""Prometheus metrics of a crawl: `/metrics` while it runs (METRICS_PORT), a node-exporter textfile at its end
(METRICS_TEXTFILE, for cron runs that are gone before anything could scrape them).

Nothing is counted here: every number is read, when it is asked for, from what the run already counts — the
stats keys of pipelines/run/report.py (`crawl_counts`, `site_stat` with SITE_COUNTERS and `blocked`), the
session's failed uploads, the files waiting in the spool, the scheduler's queue — so /metrics, the live line
and the run report never disagree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from scrapy import signals
from scrapy.crawler import Crawler

from crawler.extensions.progress import queued_requests
from crawler.session import SESSION_ATTRIBUTE
from pipelines.run.report import (
    SITE_COUNTERS,
    SITE_STAT_PREFIX,
    STATUS_CLASSES,
    crawl_counts,
    site_stat,
)
from pipelines.run.session import ArchiveSession
from pipelines.store.atomic import write_atomic

log = logging.getLogger(__name__)
PREFIX = "newsarchive_"
# Run-wide counts (crawl_counts) exported as counters; the responses by class and bytes are per site.
RUN_COUNTERS = ("requests", "responses", "network_failures", "extraction_failures", "errors", "articles", "records",
                "duplicates", "warc_records", "bytes")


@dataclass
class Snapshot:
    """What the metrics say at one moment of a run."""

    stats: dict[str, Any]
    crawl_id: str
    started: float                      # time.time()
    upload_failures: int = 0
    waiting_files: int = 0              # complete files in the spool, not uploaded yet
    oldest_waiting: float | None = None  # time.time() of the oldest of them
    queued: int | None = None
    ended: dict[str, Any] = field(default_factory=dict)  # at the end: reason, exit_code, time


def families(snapshot: Snapshot) -> Iterator[Metric]:
    """The metric families of a snapshot, as Prometheus names them (newsarchive_*)."""
    stats = snapshot.stats
    sites = sorted({key[len(SITE_STAT_PREFIX):].rsplit("/", 1)[0] for key in stats if key.startswith(SITE_STAT_PREFIX)})
    responses = CounterMetricFamily(PREFIX + "site_responses", "Responses of the site, by status class.",
                                    labels=["site", "status_class"])
    per_site = {name: CounterMetricFamily(PREFIX + f"site_{name}", f"The site's {name.replace('_', ' ')} "
                                          "(the run report's per_site counter).", labels=["site"])
                for name in SITE_COUNTERS if not name.startswith("responses_")}
    blocked = GaugeMetricFamily(PREFIX + "site_blocked", "1 while the site is blocking the crawler.", labels=["site"])
    for site in sites:
        for klass in STATUS_CLASSES:
            responses.add_metric([site, klass], stats.get(site_stat(site, f"responses_{klass}"), 0))
        for name, family in per_site.items():
            family.add_metric([site], stats.get(site_stat(site, name), 0))
        blocked.add_metric([site], 1 if stats.get(site_stat(site, "blocked")) else 0)
    yield responses
    yield from per_site.values()
    yield blocked
    counts = crawl_counts(stats, upload_failures=snapshot.upload_failures)
    for name in RUN_COUNTERS:
        yield CounterMetricFamily(PREFIX + name, f"The run's {name.replace('_', ' ')} (run report counts).",
                                  value=counts[name])
    yield CounterMetricFamily(PREFIX + "upload_failures", "Uploads that failed in this run (the files wait in the "
                              "spool).", value=snapshot.upload_failures)
    yield GaugeMetricFamily(PREFIX + "upload_waiting_files", "Complete files in the spool not uploaded yet.",
                            value=snapshot.waiting_files)
    lag = 0.0 if snapshot.oldest_waiting is None else max(0.0, time.time() - snapshot.oldest_waiting)
    yield GaugeMetricFamily(PREFIX + "upload_lag_seconds", "Age of the oldest file waiting in the spool for its "
                            "upload (0: none waits).", value=lag)
    if snapshot.queued is not None:
        yield GaugeMetricFamily(PREFIX + "queue_depth", "Requests waiting in the scheduler.", value=snapshot.queued)
    info = GaugeMetricFamily(PREFIX + "run_info", "The run these metrics are of.", labels=["crawl_id"])
    info.add_metric([snapshot.crawl_id], 1)
    yield info
    yield GaugeMetricFamily(PREFIX + "run_start_time_seconds", "When the run started (Unix time).",
                            value=snapshot.started)
    if snapshot.ended:
        yield GaugeMetricFamily(PREFIX + "run_end_time_seconds", "When the run ended (Unix time).",
                                value=snapshot.ended["time"])
        yield GaugeMetricFamily(PREFIX + "run_exit_code", "The run's exit code (docs: exit codes).",
                                value=snapshot.ended["exit_code"])
        reason = GaugeMetricFamily(PREFIX + "run_finish_reason", "Why the run ended (the report's exit_reason).",
                                   labels=["reason"])
        reason.add_metric([snapshot.ended["reason"]], 1)
        yield reason


def spool_waiting(session: ArchiveSession) -> tuple[int, float | None]:
    """How many complete files wait in the session's spool, and the modification time of the oldest."""
    times = []
    for key in session.spool.pending():
        try:
            times.append(session.spool.path(key).stat().st_mtime)
        except OSError:  # uploaded (and deleted) meanwhile
            continue
    return len(times), min(times, default=None)


def stats_copy(crawler: Crawler) -> dict[str, Any]:
    """The crawl's stats, copied from another thread (the reactor may be adding a key meanwhile)."""
    for _ in range(5):
        try:
            return dict(crawler.stats.get_stats())
        except RuntimeError:  # dictionary changed size during iteration
            continue
    return {}


def snapshot_of(crawler: Crawler) -> Snapshot:
    """The crawl's numbers now (its session's too, when the runner bound one)."""
    session: ArchiveSession | None = getattr(crawler, SESSION_ATTRIBUTE, None)
    if session is None:
        return Snapshot(stats=stats_copy(crawler), crawl_id="", started=0.0, queued=queued_requests(crawler))
    waiting, oldest = spool_waiting(session)
    return Snapshot(stats=stats_copy(crawler), crawl_id=session.crawl_id, started=session.output.started_at.timestamp(),
                    upload_failures=len(session.failed_uploads) if session else 0, waiting_files=waiting,
                    oldest_waiting=oldest, queued=queued_requests(crawler))


class SnapshotCollector(Collector):
    """The families of `snapshot()`, taken when Prometheus scrapes (in the HTTP server's thread) or the textfile
    is written."""

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        return families(self.snapshot())


def registry_of(snapshot: Callable[[], Snapshot]) -> CollectorRegistry:
    """A registry of our metrics only (not the process's default one, with its Python runtime metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return registry


class MetricsExtension:
    """Scrapy extension: serves /metrics on METRICS_ADDRESS:METRICS_PORT from the spider's start (0: off).

    A port that cannot be bound is one error line; the crawl goes on without /metrics (metrics never take a
    crawl down)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.port = crawler.settings.getint("METRICS_PORT")
        self.address = crawler.settings.get("METRICS_ADDRESS")
        self.server: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        if extension.port:
            crawler.signals.connect(extension.opened, signal=signals.spider_opened)
            crawler.signals.connect(extension.closed, signal=signals.engine_stopped)
        return extension

    def opened(self) -> None:
        try:
            self.server, _ = start_http_server(self.port, addr=self.address,
                                               registry=registry_of(lambda: snapshot_of(self.crawler)))
        except (OSError, OverflowError) as error:
            log.error("METRICS_PORT=%s: /metrics not served on %s (%s); the crawl goes on without it; choose a "
                      "free port", self.port, self.address, error, extra={"event": "metrics_unavailable"})
            return
        log.info("metrics: http://%s:%s/metrics", self.address, self.server.server_port,
                 extra={"event": "metrics_serving"})

    def closed(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def write_textfile(path: Path, crawler: Crawler, *, reason: str, exit_code: int) -> None:
    """The run's metrics as a node-exporter textfile (`*.prom`), written atomically (a scrape never reads half a
    file); a file that cannot be written is one error line, never the run's failure."""
    snapshot = snapshot_of(crawler)
    snapshot.ended = {"reason": reason, "exit_code": exit_code, "time": time.time()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, generate_latest(registry_of(lambda: snapshot)))
    except OSError as error:
        log.error("METRICS_TEXTFILE=%s: not written (%s); check that its folder exists and is writable", path,
                  error, extra={"event": "metrics_textfile_failed"})
