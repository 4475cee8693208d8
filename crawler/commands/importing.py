"""Commands that read WARCs back instead of fetching: `import` (anyone's WARCs) and `reextract` (ours).

With REDIS_URL, N processes given the same list split it: each source is claimed by one (pipelines.state.claims).

Thin: arguments in, `pipelines.run.imports` / `pipelines.run.reextract` do the work, a summary out.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawler import interrupt
from crawler.cli_common import (
    ArchiveOption,
    FromOption,
    JsonOption,
    ToOption,
    VerboseOption,
    app,
    command_settings,
    day_range,
    fail,
    failing_on,
    open_archive,
    print_json,
)
from crawler.exit_codes import ExitCode, batch_exit_code
from crawler.logs import configure_command_logging, say
from pipelines.extract.version import EXTRACTOR_VERSION
from pipelines.layout import is_records_key
from pipelines.run.report import report_uri
from pipelines.run.stop import Stop
from pipelines.store.base import StoreError, redact_uri

if TYPE_CHECKING:  # the work is imported when a command runs, so `--help` stays fast
    from scrapy.settings import Settings

    from pipelines.run.batch import BatchResult
    from pipelines.run.sink import RecordSink

log = logging.getLogger("newsarchive")

SiteOption = Annotated[str | None, typer.Option(
    "--site", help="Site name for the records (default: the page's host as a slug).")]


def open_sink(settings: Settings, command: str, stop: Stop) -> tuple[RecordSink, int]:
    """The run's sink, and how many extraction processes it gets (IMPORT_WORKERS)."""
    from crawler.config import spool_root, store_options
    from pipelines.run.sink import RecordSink
    from pipelines.run.workers import worker_count

    with failing_on(StoreError):
        open_archive(settings).check()  # an archive that does not answer: one line, exit 6, no run report
        sink = RecordSink(settings["ARCHIVE_URI"], command=command, spool_root=spool_root(settings),
                          store_options=store_options(settings), stop=stop)
    return sink, worker_count(settings.getint("IMPORT_WORKERS"))


@contextmanager
def stop_on_signals(stop: Stop) -> Iterator[None]:
    """Ctrl-C and SIGTERM (`docker stop`) ask the run to stop between two records: the current file is dropped
    (redone next time) and the report is written. A second one aborts at once."""
    def request_stop(signum: int, frame: Any) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        interrupt.check()  # a Ctrl-C before now that an import swallowed: the run does not start
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def source_printer(as_json: bool) -> Callable[[str, dict[str, Any]], None]:
    """One line per source as it is done: on stdout, or on stderr when stdout carries the JSON summary. A source
    that failed has had its one line already, the error logged on stderr; the summary and report count it."""
    def print_source(source: str, summary: dict[str, Any]) -> None:
        if summary["status"] == "failed":
            return
        note = summary.get("error") or summary.get("reason")
        say(f"{summary['status']}: {source}" + (f" ({note})" if note else ""), err=as_json, event="source",
            data={"source": source, **summary})
    return print_source


@contextmanager
def claimed(settings: Settings, command: str, sources: Iterable[str], stop: Stop,
            print_source: Callable[[str, dict[str, Any]], None]
            ) -> Iterator[tuple[Iterable[str], Callable[[str, dict[str, Any]], None]]]:
    """With REDIS_URL: only the sources this worker claims (pipelines.state.claims), and the hook that marks each
    one done; without: all of them. Redis not answering: one line, exit 6."""
    if not settings.get("REDIS_URL"):
        yield sources, print_source
        return
    from pipelines.state.claims import SourceClaims, claimed_sources

    with failing_on(StoreError):
        claims = SourceClaims.open(settings["REDIS_URL"], settings["ARCHIVE_URI"], command,
                                   lease_timeout=settings.getfloat("DISTRIBUTED_LEASE_TIMEOUT"))
        claims.heartbeat()
    with claimed_sources(claims, sources, stopped=lambda: stop.requested, on_done=print_source) as mine:
        yield mine


def finish(result: BatchResult, sink: RecordSink, *, as_json: bool = False) -> None:
    """Tell the operator what the run wrote (`--json`: the run report and where it is), and exit with the code
    scripts rely on. A report whose upload failed is named where it waits, never as if it were in the archive."""
    report = result.report
    in_spool = sink.output.report_in_spool
    uri = None if in_spool else report_uri(report["archive"], report["crawl_id"])
    exit_code = batch_exit_code(result)
    if as_json:
        print_json({"exit_code": int(exit_code), "report_uri": uri,
                    "report_in_spool": str(in_spool) if in_spool else None, "report": report})
        raise typer.Exit(int(exit_code))
    counts = report["counts"]
    say(f"run {report['crawl_id']}: {counts['warc_records']} WARC records read, {counts['articles']} "
        f"articles, {counts['records']} records, {counts['errors']} corrupt or failed", data=counts)
    for key in (o["key"] for o in report["objects"] if is_records_key(o["key"])):
        say(f"  {report['archive'].rstrip('/')}/{key}")
    if in_spool:
        say(f"run report: not uploaded; it waits in the spool at {in_spool}", err=True)
    else:
        say(f"run report: {uri}")
    if report["failed_uploads"] and not result.interrupted:
        say(f"{len(report['failed_uploads'])} upload(s) failed; the files stay in the spool and the next "
            "run uploads them", err=True)
    raise typer.Exit(int(exit_code))


@app.command("import")
def import_warcs(
    sources: Annotated[list[str], typer.Argument(metavar="WARC",
                                                 help="WARC files: local paths or s3://bucket/key URIs.")],
    host: Annotated[list[str] | None, typer.Option(
        "--host", help="Only pages of this host (and its subdomains); repeat for several.")] = None,
    first: FromOption = None,
    last: ToOption = None,
    site: SiteOption = None,
    as_json: JsonOption = False,
    archive: ArchiveOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Records from existing WARC files (e.g. Common Crawl CC-NEWS), without refetching anything."""
    from pipelines.run.batch import run_batch
    from pipelines.run.imports import CaptureFilter, Importer
    from pipelines.run.pages import site_slug

    settings = command_settings(archive)  # the environment first, as every command
    configure_command_logging(verbose)
    missing = [source for source in sources if "://" not in source and not Path(source).expanduser().is_file()]
    if len(missing) == len(sources):  # nothing to do: a run that cannot start writes no run report
        raise fail(ExitCode.NOT_FOUND, f"no such file: {missing[0]}" + (f" (nor the {len(missing) - 1} other sources)"
                                                                    if len(missing) > 1 else ""))
    captures = CaptureFilter(tuple(h.lower().strip(".") for h in host or ()), day_range(first, last))
    if site is not None and site_slug(site) != site:
        raise fail(ExitCode.USAGE, f"--site {site!r}: use lowercase letters, digits and '-'")
    stop = Stop()
    sink, workers = open_sink(settings, "import", stop)
    importer = Importer(sink, captures=captures, site=site, workers=workers)
    with stop_on_signals(stop), claimed(settings, "import", sources, stop, source_printer(as_json)) as (mine, on_done):
        try:
            result = run_batch(mine, importer.import_one, sink=sink, tally=importer.tally, on_done=on_done)
        finally:
            importer.close(kill=stop.requested)
    finish(result, sink, as_json=as_json)


KNOWN_SITES_SHOWN = 10


def check_site(settings: Settings, site: str) -> None:
    """`--site` must be a site the archive's runs archived, known cheaply from the run reports (they list their
    sites), before any run starts: a misspelt name is exit 2 naming the known ones. An archive whose reports
    name no site (none written yet) cannot tell: every WARC is looked at, as without the check."""
    import difflib

    from pipelines.run.report import archived_sites

    def skipped(key: str, error: Exception) -> None:
        log.warning("skipping %s: %s", key, error)

    with failing_on(StoreError):  # an archive that does not answer: one line, exit 6
        known = sorted(archived_sites(open_archive(settings), skipped, until=site))
    if known and site not in known:
        close = difflib.get_close_matches(site, known, n=1)
        shown = ", ".join(known[:KNOWN_SITES_SHOWN]) + (
            f" and {len(known) - KNOWN_SITES_SHOWN} more" if len(known) > KNOWN_SITES_SHOWN else "")
        raise fail(ExitCode.USAGE, f"--site {site!r}: no run report in {redact_uri(settings['ARCHIVE_URI'])} names "
                   f"that site" + (f" (did you mean '{close[0]}'?)" if close else "") + f"; its runs archived: {shown}")


@app.command()
def reextract(
    first: FromOption = None,
    last: ToOption = None,
    site: Annotated[str | None, typer.Option(
        "--site", help="Only WARCs holding records of this site (all their records are rebuilt).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Rebuild even WARCs already re-extracted with this extractor version.")] = False,
    as_json: JsonOption = False,
    archive: ArchiveOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Rebuild records from the archive's own WARCs with the current extractor; old records stay."""
    from pipelines.run.batch import run_batch
    from pipelines.run.reextract import Reextractor

    configure_command_logging(verbose)
    days = day_range(first, last)
    stop = Stop()
    settings = command_settings(archive)
    if site is not None:
        check_site(settings, site)
    sink, workers = open_sink(settings, "reextract", stop)
    reextractor = Reextractor(sink, site=site, force=force, workers=workers)
    with failing_on(StoreError):  # an archive that cannot be listed: nothing started, no report
        warc_keys = reextractor.warc_keys(days)
    with stop_on_signals(stop), claimed(settings, "reextract", warc_keys, stop, source_printer(as_json)) as (
            mine, on_done):
        try:
            result = run_batch(mine, reextractor.reextract_one, sink=sink, tally=reextractor.tally, on_done=on_done,
                               extractor_version=EXTRACTOR_VERSION)
        finally:
            reextractor.close(kill=stop.requested)
    finish(result, sink, as_json=as_json)
