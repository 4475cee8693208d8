"""Monitors after each crawl: field coverage, each site's article count against its recent median, and the
finish reason. Their failures go into the run report (`monitors`) and, with ALERT_WEBHOOK, to a webhook
(crawler/alerts.py).

The monitors are spidermon Monitors (unittest-style checks with names, run by spidermon's MonitorRunner), but
run by the archive session just before it writes the run report rather than by spidermon's Scrapy extension:
that extension runs its suites in its own spider_closed handler, before the session has closed the records
files and with no report to write the results into; here the monitors read the run report itself (its
per-site counts and coverage of the records written, its exit_reason) and the archive's earlier reports.
"""

from __future__ import annotations

import logging
from itertools import islice
from statistics import median
from typing import Any

from scrapy.settings import BaseSettings
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.results.monitor import MonitorResult
from spidermon.runners import MonitorRunner

from crawler.exit_codes import LOW_DISK_REASON
from pipelines.run.report import newest_reports, report_command
from pipelines.store.base import ObjectStore

log = logging.getLogger(__name__)

# A run that ended like this did what it was asked: it finished, or stopped at a limit the operator set.
GOOD_FINISH = ("finished", "closespider_timeout", "closespider_pagecount")
MIN_RECORDS = 5  # fewer records than this say nothing about a site's coverage
MIN_HISTORY = 3  # earlier runs of a site needed before its median means anything
HISTORY_SCAN = 200  # newest reports read to find the site's earlier runs of the same command


@monitors.name("coverage")
class CoverageMonitor(Monitor):
    """Share of a site's records with each field, against MONITOR_MIN_COVERAGE."""

    @monitors.name("fields")
    def test_fields(self) -> None:
        low = []
        for site, stats in sorted(self.data.report["per_site"].items()):
            if stats["records"] < MIN_RECORDS:
                continue
            for name, least in sorted(self.data.thresholds.items()):
                share = stats["coverage"].get(name)
                if share is not None and share < least:
                    low.append(f"{site}: {name} on {share:.0%} of {stats['records']} records (expected at least "
                               f"{least:.0%})")
        if low:
            self.fail("; ".join(low))


@monitors.name("volume")
class VolumeMonitor(Monitor):
    """Each site's articles against the median of its recent runs of the same command."""

    @monitors.name("articles")
    def test_articles(self) -> None:
        ratio, few = self.data.article_ratio, []
        for site, stats in sorted(self.data.report["per_site"].items()):
            earlier = [run["per_site"][site]["articles"] for run in self.data.history
                       if site in (run.get("per_site") or {})]
            if ratio <= 0 or len(earlier) < MIN_HISTORY:
                continue
            usual = median(earlier)
            if usual > 0 and stats["articles"] < ratio * usual:
                few.append(f"{site}: {stats['articles']} articles, under {ratio:.0%} of its median of {usual:g} "
                           f"in the last {len(earlier)} runs")
        if few:
            self.fail("; ".join(few))


@monitors.name("finish")
class FinishMonitor(Monitor):
    """The run ended as asked (finished or at a limit) and no site blocked it."""

    @monitors.name("reason")
    def test_reason(self) -> None:
        reason = self.data.report["exit_reason"]
        if reason not in GOOD_FINISH:
            hint = " (below the free-disk floor)" if reason == LOW_DISK_REASON else ""
            self.fail(f"the run ended with {reason}{hint}, not {' or '.join(GOOD_FINISH)}")

    @monitors.name("blocked")
    def test_blocked(self) -> None:
        blocked = sorted(site for site, stats in self.data.report["per_site"].items() if stats.get("blocked"))
        if blocked:
            self.fail(f"blocking the crawler: {', '.join(blocked)}")


SUITE = (CoverageMonitor, VolumeMonitor, FinishMonitor)


class _Runner(MonitorRunner):
    def create_result(self) -> MonitorResult:
        return MonitorResult()


def run_monitors(report: dict[str, Any], history: list[dict[str, Any]], *, thresholds: dict[str, float],
                 article_ratio: float) -> dict[str, Any]:
    """The report's `monitors`: every check run, and a line for each that failed."""
    result = _Runner().run(MonitorSuite(monitors=list(SUITE)), report=report, history=history,
                           thresholds=thresholds, article_ratio=article_ratio)
    checks, failures = [], []
    for outcome in result.monitor_results:
        name = outcome.item.name
        checks.append(name)
        if outcome.status != "OK":
            message = str(outcome.reason).strip().splitlines()[-1] if outcome.reason else outcome.status
            failures.append({"monitor": name, "message": message})
    return {"passed": not failures, "checks": sorted(checks), "failures": failures}


def earlier_reports(store: ObjectStore, command: str, count: int, crawl_id: str) -> list[dict[str, Any]]:
    """The newest `count` reports of earlier runs of `command` in the archive, oldest first (unreadable ones
    skipped)."""
    def skipped(key: str, error: Exception) -> None:
        log.warning("monitors: earlier run report %s skipped: %s", key, error)

    earlier = (report for report in newest_reports(store, HISTORY_SCAN, skipped)
               if report_command(report) == command and report.get("crawl_id") != crawl_id)
    return list(islice(earlier, count))[::-1]


def review_report(settings: BaseSettings, store: ObjectStore, report: dict[str, Any]) -> dict[str, Any]:
    """The finished report's `monitors` (pipelines.run.session.ArchiveSession.finish calls it; the CLI's summary
    says each failure)."""
    thresholds = {name: float(share) for name, share in settings.getdict("MONITOR_MIN_COVERAGE").items()}
    ratio = settings.getfloat("MONITOR_MIN_ARTICLE_RATIO")
    history = earlier_reports(store, report["command"], settings.getint("MONITOR_HISTORY_RUNS"),
                              report["crawl_id"]) if ratio > 0 else []
    return run_monitors(report, history, thresholds=thresholds, article_ratio=ratio)
