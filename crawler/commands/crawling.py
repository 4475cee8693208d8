"""Commands that crawl: `demo` and `crawl`."""

import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from crawler.cli_common import (
    ArchiveOption,
    JsonOption,
    MaxDurationOption,
    MaxPagesOption,
    VerboseOption,
    app,
    command_settings,
    fail,
    print_json,
    run_limits,
)
from crawler.exit_codes import ExitCode
from crawler.interrupt import Interrupted
from crawler.logs import say
from crawler.sites import SitesConfigError, load_sites, parse_sites, select_sites
from pipelines.layout import RECORDS_PREFIX, WARC_PREFIX, is_records_key, is_warc_key
from pipelines.run.report import counts_line, report_uri

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from crawler.runner import CrawlResult


def crawl_settings(archive: str | None, verbose: bool, **overrides: Any) -> "Settings":
    """The crawl's settings: what the command line decides on top of settings/ and NEWSARCHIVE_* variables."""
    if verbose:
        overrides["LOG_LEVEL"] = "DEBUG"
    elif sys.stderr.isatty():
        overrides["LOG_LEVEL"] = "WARNING"  # the live display says what INFO lines would
    return command_settings(archive, **overrides)


def summary_document(result: "CrawlResult") -> dict[str, Any]:
    """`--json`: the run report as stored, and where it is (`report_uri`, or `report_in_spool` when it could not
    be uploaded), the exit code, the sites that blocked the crawl and the files left in the spool."""
    report = result.report
    uri = None
    if report is not None and result.report_in_spool is None:
        uri = report_uri(report["archive"], report["crawl_id"])
    return {"exit_code": int(result.exit_code), "report_uri": uri,
            "report_in_spool": str(result.report_in_spool) if result.report_in_spool else None,
            "blocked": result.blocked, "spooled": result.spooled, "report": report}
LIMIT_REASONS = {"closespider_timeout": "--max-duration", "closespider_pagecount": "--max-pages"}


def summarize(result: "CrawlResult") -> None:
    """Tell the operator where the output is and what happened; name a run report only where it was written."""
    report, exit_code = result.report, result.exit_code
    if report is None:
        say("no run report: the crawl did not start (see the log above)", err=True)
        return
    archive = report["archive"].rstrip("/")
    keys = [o["key"] for o in report["objects"]]
    counts = report["counts"]
    say(f"\nrun {report['crawl_id']}: {counts_line(counts)}", data=counts)
    for label, prefix, wanted in (("WARCs", WARC_PREFIX, is_warc_key), ("records", RECORDS_PREFIX, is_records_key)):
        found = [k for k in keys if wanted(k)]
        say(f"{label}: {len(found)} file(s) under {archive}/{prefix}")
        for key in found[:5]:
            say(f"  {archive}/{key}")
    shared = report.get("distributed")
    if shared and result.report_in_spool is None:
        merged = report_uri(archive, shared["run"])
        say(f"run report of the shared crawl: {merged}" if shared.get("merged") else
            f"worker {shared['worker']} done; the last worker of run {shared['run']} writes its report to {merged}")
    elif result.report_in_spool is None:
        say(f"run report: {report_uri(archive, report['crawl_id'])}")
    else:
        say(f"run report: not uploaded; it waits in the spool at {result.report_in_spool}", err=True)
    if exit_code == ExitCode.INTERRUPTED:
        waiting = f"; {len(result.spooled)} file(s) wait in the spool and the next run uploads them" \
            if result.spooled else ""
        say(f"interrupted: the files it wrote are closed{waiting}", err=True)
    for failure in (report.get("monitors") or {}).get("failures", []):
        say(f"monitor {failure['monitor']} failed: {failure['message']}", err=True, event="monitor_failed")
    if report["exit_reason"] in LIMIT_REASONS:
        say(f"stopped at {LIMIT_REASONS[report['exit_reason']]}; the next run goes on from where this one stopped",
            err=True, event="limit")
    if exit_code == ExitCode.LOW_DISK:
        say("stopped at the free-disk floor (MIN_FREE_DISK) of the spool: what was fetched is closed and "
            "uploaded; free some space and run again", err=True, event="disk_floor")
    if exit_code == ExitCode.BLOCKED:
        say("blocked by: " + ", ".join(result.blocked) + " (storm of 403/429/captcha "
            "responses); their remaining pages were not fetched", err=True)
    if exit_code == ExitCode.UPLOAD_PENDING:
        say(f"{len(report['failed_uploads'])} upload(s) failed; the files are kept in the spool and the "
            "next run uploads them", err=True)
    if exit_code == ExitCode.FAILURE and counts["responses"] and not result.stats.get("warc/exchanges"):
        say(f"{counts['responses']} responses but none archived: the WARC capture wrote nothing "
            "(see the log above)", err=True)


def run_and_exit(sites: list[Any], settings: "Settings", window: Any = None, *, as_json: bool = False) -> None:
    """Crawl (only `window`, a backfill Window, if given), print the summary (`--json`: summary_document),
    exit with the run's code."""
    try:
        from crawler.runner import run_crawl  # Scrapy and Twisted imports are slow; keep --help fast
        from crawler.shutdown import exit_at_once

        result = run_crawl(sites, settings, window=window)
    except Interrupted as signal_name:  # crawler.interrupt's handlers, until the crawl's own take over
        raise fail(ExitCode.INTERRUPTED, f"{signal_name} before the crawl started; nothing was fetched") from None
    if result.problem is not None:
        raise fail(result.exit_code, result.problem)
    if as_json:
        print_json(summary_document(result))
    else:
        summarize(result)
    if result.exit_code == ExitCode.INTERRUPTED:
        exit_at_once()  # threads of an interrupted run (an upload left running, a DNS lookup) are not waited for
    raise typer.Exit(int(result.exit_code))


DEMO_PORT = 8642


def usable_port(port: int) -> int:
    """The port asked for, or any free one (with a warning) when something else holds it."""
    if port == 0:
        return 0
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            typer.secho(f"port {port} is in use; the demo site takes a free port (its URLs differ from earlier runs)",
                        err=True, fg=typer.colors.YELLOW)
            return 0
    return port


@app.command()
def demo(
    archive: ArchiveOption = None,
    port: Annotated[int, typer.Option(
        "--port", help="Port of the demo site on 127.0.0.1. The same port keeps its URLs the same from run to run, "
        "so a second demo run into one archive stores unchanged pages as revisits. 0 = any free port.")] = DEMO_PORT,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Serve the bundled demo news site on 127.0.0.1 and crawl it into ARCHIVE_URI (about 10 seconds)."""
    from crawler.demo.server import demo_sites_yaml, serve_demo_site

    settings = crawl_settings(archive, verbose, AUTOTHROTTLE_ENABLED=False, DOWNLOAD_DELAY=0)
    with serve_demo_site(port=usable_port(port)) as base_url:
        say(f"demo site at {base_url} → archive {settings['ARCHIVE_URI']}", err=as_json)
        sites = parse_sites(yaml.safe_load(demo_sites_yaml(base_url)), source="demo sites")
        run_and_exit(sites, settings, as_json=as_json)


# Not Typer's envvar=: NEWSARCHIVE_SITES is the SITES setting, read with every other one.
SitesFileOption = Annotated[Path | None, typer.Option(
    "--sites", help="The sites file (YAML). [default: $NEWSARCHIVE_SITES, else ./sites.yaml]")]


def chosen_sites(sites_file: Path | None, names: list[str], settings: "Settings") -> list[Any]:
    """The sites to crawl (--sites, else the SITES setting), or exit 2 with a message naming the file, site and
    key."""
    path = sites_file or Path(settings["SITES"])
    try:
        return select_sites(load_sites(path), names, source=str(path))
    except SitesConfigError as error:
        raise fail(ExitCode.USAGE, str(error)) from error


@app.command()
def crawl(
    sites_file: SitesFileOption = None,
    site: Annotated[list[str] | None, typer.Option(
        "--site", help="Crawl only this site (by name); repeat for several.")] = None,
    refetch: Annotated[bool, typer.Option(
        "--refetch", help="Fetch again what earlier runs archived or found unchanged.")] = False,
    as_json: JsonOption = False,
    max_duration: MaxDurationOption = None,
    max_pages: MaxPagesOption = None,
    archive: ArchiveOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Crawl the sites of a sites file: every response to WARC, every article to a record.

    Incremental: articles archived by earlier runs are not fetched again (state kept in the archive's state/).

    Homepages, sections, feeds and sitemaps are re-checked every run."""
    settings = crawl_settings(archive, verbose, **({"INCREMENTAL": False} if refetch else {}),
                              **run_limits(max_duration, max_pages))
    run_and_exit(chosen_sites(sites_file, site or [], settings), settings, as_json=as_json)
