"""Commands that read WARCs back instead of fetching: `import` (anyone's WARCs) and `reextract` (ours).

Thin: arguments in, `pipelines.run.imports` / `pipelines.run.reextract` do the work, a summary out.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawler.cli_common import (
    ArchiveOption,
    FromOption,
    ToOption,
    VerboseOption,
    app,
    command_settings,
    day_range,
    fail,
    failing_on,
)
from crawler.exit_codes import ExitCode, batch_exit_code
from pipelines.extract.version import EXTRACTOR_VERSION
from pipelines.layout import is_records_key, run_report_key
from pipelines.run.stop import Stop

if TYPE_CHECKING:  # the work is imported when a command runs, so `--help` stays fast
    from pipelines.run.batch import BatchResult
    from pipelines.run.sink import RecordSink

log = logging.getLogger("newsarchive")

SiteOption = Annotated[str | None, typer.Option(
    "--site", help="Site name for the records (default: the page's host as a slug).")]


def open_sink(archive: str | None, command: str, stop: Stop) -> tuple[RecordSink, int]:
    """The run's sink, and how many extraction processes it gets (IMPORT_WORKERS)."""
    from crawler.config import spool_root, store_options
    from pipelines.run.sink import RecordSink
    from pipelines.run.workers import worker_count
    from pipelines.store.base import StoreError

    settings = command_settings(archive)
    with failing_on(StoreError):
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
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def print_source(source: str, summary: dict[str, Any]) -> None:
    note = summary.get("error") or summary.get("reason")
    typer.echo(f"{summary['status']}: {source}" + (f" ({note})" if note else ""))


def finish(result: BatchResult) -> None:
    """Tell the operator what the run wrote, and exit with the code scripts rely on."""
    report = result.report
    counts = report["counts"]
    typer.echo(f"run {report['crawl_id']}: {counts['warc_records']} WARC records read, {counts['articles']} "
               f"articles, {counts['records']} records, {counts['errors']} corrupt or failed")
    for key in (o["key"] for o in report["objects"] if is_records_key(o["key"])):
        typer.echo(f"  {report['archive'].rstrip('/')}/{key}")
    typer.echo(f"run report: {report['archive'].rstrip('/')}/{run_report_key(report['crawl_id'])}")
    if report["failed_uploads"] and not result.interrupted:
        typer.echo(f"{len(report['failed_uploads'])} upload(s) failed; the files stay in the spool and the next "
                   "run uploads them", err=True)
    raise typer.Exit(int(batch_exit_code(result)))


@app.command("import")
def import_warcs(
    sources: Annotated[list[str], typer.Argument(metavar="WARC",
                                                 help="WARC files: local paths or s3://bucket/key URIs.")],
    host: Annotated[list[str] | None, typer.Option(
        "--host", help="Only pages of this host (and its subdomains); repeat for several.")] = None,
    first: FromOption = None,
    last: ToOption = None,
    site: SiteOption = None,
    archive: ArchiveOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Records from existing WARC files (e.g. Common Crawl CC-NEWS), without refetching anything."""
    from pipelines.run.batch import run_batch
    from pipelines.run.imports import CaptureFilter, Importer
    from pipelines.run.pages import site_slug

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    missing = [source for source in sources if "://" not in source and not Path(source).expanduser().is_file()]
    if len(missing) == len(sources):  # nothing to do: a run that cannot start writes no run report
        raise fail(ExitCode.USAGE, f"no such file: {missing[0]}" + (f" (nor the {len(missing) - 1} other sources)"
                                                                    if len(missing) > 1 else ""))
    captures = CaptureFilter(tuple(h.lower().strip(".") for h in host or ()), day_range(first, last))
    if site is not None and site_slug(site) != site:
        raise fail(ExitCode.USAGE, f"--site {site!r}: use lowercase letters, digits and '-'")
    stop = Stop()
    sink, workers = open_sink(archive, "import", stop)
    importer = Importer(sink, captures=captures, site=site, workers=workers)
    with stop_on_signals(stop):
        try:
            result = run_batch(sources, importer.import_one, sink=sink, tally=importer.tally, on_done=print_source)
        finally:
            importer.close(kill=stop.requested)
    finish(result)


@app.command()
def reextract(
    first: FromOption = None,
    last: ToOption = None,
    site: Annotated[str | None, typer.Option(
        "--site", help="Only WARCs holding records of this site (all their records are rebuilt).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Rebuild even WARCs already re-extracted with this extractor version.")] = False,
    archive: ArchiveOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Rebuild records from the archive's own WARCs with the current extractor; old records stay."""
    from pipelines.run.batch import run_batch
    from pipelines.run.reextract import Reextractor

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    days = day_range(first, last)
    stop = Stop()
    sink, workers = open_sink(archive, "reextract", stop)
    reextractor = Reextractor(sink, site=site, force=force, workers=workers)
    with stop_on_signals(stop):
        try:
            result = run_batch(reextractor.warc_keys(days), reextractor.reextract_one, sink=sink,
                               tally=reextractor.tally, on_done=print_source, extractor_version=EXTRACTOR_VERSION)
        finally:
            reextractor.close(kill=stop.requested)
    finish(result)
