"""`newsarchive status`: shared crawls running now (REDIS_URL), recent runs and per-site health, from the run
reports under `runs/`; how a site's health is judged is pipelines.run.health's.
"""

import sys
from typing import Annotated, Any

import typer

from crawler.cli_common import ArchiveOption, JsonOption, app, command_settings, failing_on, open_archive, print_json
from pipelines.run.health import run_summary, site_health
from pipelines.run.report import STATUS_CLASSES, newest_reports
from pipelines.store.base import ObjectStore, StoreError

BASELINE_RUNS = 10  # earlier runs read beyond --runs, for the medians
RESPONSES_COLUMN = "/".join(STATUS_CLASSES)
RUN_COLUMNS = ("crawl id", "command", "started", "duration", "exit", RESPONSES_COLUMN, "network failures",
               "articles", "records", "extraction failures", "upload failures", "errors")
LIVE_COLUMNS = ("run", "queue", "worker", "host", "pid", "state", "leases", "own crawl id")
SITE_COLUMNS = ("site", "command", "last run", "fetched", RESPONSES_COLUMN, "network failures", "articles",
                "records", "revisits", "errors", "dates", "authors", "text", "flags")


def load_reports(store: ObjectStore, count: int) -> list[dict[str, Any]]:
    """The newest `count` run reports, oldest first; unreadable ones are skipped with a warning."""
    def skipped(key: str, error: Exception) -> None:
        typer.echo(f"newsarchive: skipping {key}: {error}", err=True)

    return list(newest_reports(store, count, skipped))[::-1]


def live_runs_of(settings: Any) -> list[dict[str, Any]] | None:
    """The shared crawls of the archive running in Redis now; None without REDIS_URL or when Redis does not
    answer (said in one line: the reports are still shown)."""
    if not settings.get("REDIS_URL"):
        return None
    from pipelines.state.crawlrun import live_runs
    from pipelines.state.redis_client import connect

    try:
        return live_runs(connect(settings["REDIS_URL"]), settings["ARCHIVE_URI"])
    except StoreError as error:
        typer.echo(f"newsarchive: running shared crawls not shown: {error}", err=True)
        return None


def live_rows(live: list[dict[str, Any]]) -> list[list[str]]:
    return [[str(run["crawl_id"]), str(run["queue"]), name, str(worker.get("host", "")), str(worker.get("pid", "")),
             worker["state"], str(worker["leases"]), str(worker.get("crawl_id", ""))]
            for run in live for name, worker in sorted(run["workers"].items())]


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{secs:02d}s"


def _responses(counts: dict[str, Any]) -> str:
    """`120/3/584/0`: responses by status class, in RESPONSES_COLUMN's order."""
    return "/".join(str(counts.get(f"responses_{klass}", 0)) for klass in STATUS_CLASSES)


def run_rows(runs: list[dict[str, Any]]) -> list[list[str]]:
    return [[str(run["crawl_id"]), run["command"], str(run["started_at"])[:16].replace("T", " "),
             _duration(run["duration_s"]), str(run["exit_reason"]), _responses(run),
             *(str(run[n]) for n in ("network_failures", "articles", "records", "extraction_failures",
                                     "upload_failures", "errors"))] for run in runs]


def site_rows(sites: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for site in sites:
        coverage = site.get("coverage") or {}
        rows.append([site["site"], site["command"], str(site["crawl_id"]),
                     str(site.get("fetched", 0)), _responses(site), str(site.get("network_failures", 0)),
                     *(str(site.get(n, 0)) for n in ("articles", "records", "revisits", "errors")),
                     *(_share(coverage.get(n)) for n in ("published_at", "authors", "text")),
                     "; ".join(site["flags"]) or "ok"])
    return rows


def print_table(title: str, columns: tuple[str, ...], rows: list[list[str]], *, rich: bool) -> None:
    """A rich table on a terminal, aligned plain text otherwise (pipes, logs, scripts)."""
    if rich:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold", no_wrap=column in ("crawl id", "last run", "site"))
        for row in rows:
            style = "red" if columns[-1] == "flags" and row[-1] != "ok" else None
            table.add_row(*row, style=style)
        Console().print(table)
        return
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]
    typer.echo(title)
    for row in (list(columns), *rows):
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    typer.echo("")


@app.command()
def status(
    runs: Annotated[int, typer.Option("--runs", min=1, help="How many recent runs to show.")] = 10,
    as_json: JsonOption = False,
    archive: ArchiveOption = None,
) -> None:
    """Recent runs and per-site health; flags sites whose yield of records or date/author coverage dropped."""
    settings = command_settings(archive)
    store = open_archive(settings)
    with failing_on(StoreError):
        reports = load_reports(store, runs + BASELINE_RUNS)
    shown = reports[-runs:]
    summaries = [run_summary(report) for report in reversed(shown)]
    sites = site_health(reports, shown)
    live = live_runs_of(settings)
    if as_json:
        print_json({"live": live or [], "runs": summaries, "sites": sites})
        return
    rich = sys.stdout.isatty()
    if live:
        print_table("Shared crawls running (queue: requests waiting; leases: taken, not finished)", LIVE_COLUMNS,
                    live_rows(live), rich=rich)
    if not reports:
        typer.echo(f"no run reports under {settings['ARCHIVE_URI']}/runs/")
        return
    print_table("Recent runs (newest first)", RUN_COLUMNS, run_rows(summaries), rich=rich)
    if sites:
        print_table("Sites (latest run of each site and command)", SITE_COLUMNS, site_rows(sites), rich=rich)
    flagged = sorted({site["site"] for site in sites if site["flags"]})
    typer.echo(f"{len(flagged)} site(s) flagged: {', '.join(flagged)}" if flagged else "no site flagged")
