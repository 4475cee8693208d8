"""The health of runs and sites, from their run reports, as `newsarchive status` shows it.

A site is flagged when its latest run was blocked, or fell well below its own history (the median of earlier
runs of the same command). Volume is judged by what the run had to do: an incremental crawl that found no new
article archives nothing and is fine; one that found new article pages but recorded few of them is not. So the
measure is the yield, records per new article page fetched, not the record count. Coverage (dates, authors) is
judged on the records written. Medians, not means, so one odd run in the history does not hide or fake a drop.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from pipelines.run.report import COUNT_NAMES, report_command

MIN_YIELD_SHARE = 0.5  # flag when records per new article page < 50 % of the usual yield
MIN_NEW_ARTICLES = 3  # fewer new article pages than this say too little to judge the yield by
MAX_COVERAGE_DROP = 0.2  # flag when a coverage share is > 20 points below the median
FLAGGED_COVERAGE = ("published_at", "authors")


def duration(report: dict[str, Any]) -> float | None:
    try:
        started = datetime.fromisoformat(report["started_at"])
        return (datetime.fromisoformat(report["finished_at"]) - started).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None


def run_summary(report: dict[str, Any]) -> dict[str, Any]:
    counts = report.get("counts") or {}
    return {
        "crawl_id": report.get("crawl_id"),
        "command": report_command(report),
        "started_at": report.get("started_at"),
        "duration_s": duration(report),
        "exit_reason": report.get("exit_reason"),
        # Reports written before a count existed read it as 0; failed uploads were listed, not counted.
        **{name: counts.get(name, 0) for name in COUNT_NAMES},
        "upload_failures": counts.get("upload_failures") or len(report.get("failed_uploads") or []),
    }


def records_yield(stats: dict[str, Any]) -> float | None:
    """Records written per new article page fetched; None when too few new articles to say."""
    articles = stats.get("articles", 0)
    return stats.get("records", 0) / articles if articles >= MIN_NEW_ARTICLES else None


def site_flags(latest: dict[str, Any], earlier: list[dict[str, Any]]) -> list[str]:
    """Why a site's latest numbers look wrong next to the median of its earlier runs."""
    flags = ["blocked"] if latest.get("blocked") else []
    now_yield = records_yield(latest)
    yields = [y for y in map(records_yield, earlier) if y is not None]
    usual_yield = median(yields) if yields else 1.0
    if now_yield is not None and now_yield < MIN_YIELD_SHARE * usual_yield:
        flags.append(f"records {latest.get('records', 0)} of {latest['articles']} new article pages "
                     f"(usual {usual_yield:.0%})")
    for name in FLAGGED_COVERAGE:
        shares = [s for s in ((stats.get("coverage") or {}).get(name) for stats in earlier) if s is not None]
        now = (latest.get("coverage") or {}).get(name)
        if shares and now is not None and now < median(shares) - MAX_COVERAGE_DROP:
            flags.append(f"{name} {now:.0%} (median {median(shares):.0%})")
    return flags


def site_health(reports: list[dict[str, Any]], shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per site and command: its latest run among `shown`, flagged against earlier runs of that command
    (an import's volume says nothing about a crawl's)."""
    sites: dict[tuple[str, str], dict[str, Any]] = {}
    for position, report in enumerate(reports):
        if report not in shown:
            continue
        command = report_command(report)
        for site, stats in (report.get("per_site") or {}).items():
            earlier = [r["per_site"][site] for r in reports[:position]
                       if report_command(r) == command and site in (r.get("per_site") or {})]
            sites[site, command] = {"site": site, "crawl_id": report.get("crawl_id"), "command": command,
                                    **stats, "flags": site_flags(stats, earlier)}
    return [sites[key] for key in sorted(sites)]
