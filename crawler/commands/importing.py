"""Commands that read WARCs back instead of fetching: `import` (anyone's WARCs) and `reextract` (ours).

Both resume per WARC file: its records file has a write-once key, so a file whose key exists is done.
"""

import gzip
import json
import logging
import signal
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from urllib.parse import urlsplit

import typer

from crawler.cli_common import ArchiveOption, VerboseOption, app, command_settings, fail
from crawler.exit_codes import ExitCode
from crawler.hosts import host_in_domains
from pipelines import __version__
from pipelines.records.files import records_key_for
from pipelines.run.sink import RecordSink, RunTally, newest_records_key, reextract_key
from pipelines.state.dedup import DuplicateIndex
from pipelines.store.base import StoreConfigError, StoreError, open_store
from pipelines.warc.reader import (
    NotGzipWarcError,
    Page,
    ScanCounts,
    article_signals,
    first_record_date,
    open_object,
    page_at,
    page_capture,
    page_record,
    read_pages,
    recorded_capture,
    site_slug,
)

log = logging.getLogger("newsarchive")

FromOption = Annotated[str | None, typer.Option("--from", help="First capture day (YYYY-MM-DD, UTC).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last capture day (YYYY-MM-DD, UTC), inclusive.")]
SiteOption = Annotated[str | None, typer.Option(
    "--site", help="Site name for the records (default: the page's host as a slug).")]


@dataclass(frozen=True)
class Window:
    """Which captures a run takes: by host and by capture day."""

    hosts: tuple[str, ...] = ()
    first: date | None = None
    last: date | None = None

    def takes_day(self, day: date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)

    def takes(self, page: Page) -> bool:
        host_ok = not self.hosts or host_in_domains(urlsplit(page.url).hostname, self.hosts)
        return host_ok and self.takes_day(page.fetched_at.date())


def parse_window(hosts: list[str] | None, first: str | None, last: str | None) -> Window:
    try:
        window = Window(tuple(h.lower().strip(".") for h in hosts or ()),
                        date.fromisoformat(first) if first else None, date.fromisoformat(last) if last else None)
    except ValueError as error:
        raise fail(ExitCode.USAGE, f"--from/--to: {error} (use YYYY-MM-DD)") from error
    if window.first and window.last and window.first > window.last:
        raise fail(ExitCode.USAGE, f"--from {first} is after --to {last}")
    return window


def open_sink(archive: str | None, command: str) -> RecordSink:
    from crawler.config import spool_root, store_options

    settings = command_settings(archive)
    try:
        return RecordSink(settings["ARCHIVE_URI"], command=command, spool_root=spool_root(settings),
                          store_options=store_options(settings))
    except (StoreConfigError, StoreError) as error:
        raise fail(ExitCode.USAGE, str(error)) from error


def source_opener(source: str) -> tuple[str, Callable[[], AbstractContextManager[BinaryIO]]]:
    """(the `warc.key` records point at, a function opening the source) for a path or s3://bucket/key."""
    if source.startswith("s3://"):
        bucket, _, key = source.removeprefix("s3://").partition("/")
        store = open_store(f"s3://{bucket}")
        return source, lambda: open_object(store, key)
    path = Path(source).expanduser().resolve()
    return str(path), lambda: path.open("rb")


def warc_basename(source: str) -> str:
    name = source.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".gz", ".warc"):
        name = name.removesuffix(suffix)
    return name


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM (`docker stop`) ends the run like Ctrl-C: the current file is dropped, the report is written."""
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_each(sources: list[str], work: Callable[[str], dict[str, Any]], sink: RecordSink, tally: RunTally,
             **details: Any) -> None:
    """Do `work` per WARC (it reports errors, never raises), then write the run report and exit with the code
    scripts rely on. Ctrl-C or SIGTERM stops at once: the current file is dropped (redone next time)."""
    summaries, interrupted = [], False
    try:
        with stop_on_sigterm():
            for source in sources:
                summary = work(source)
                note = summary.get("error") or summary.get("reason")
                typer.echo(f"{summary['status']}: {source}" + (f" ({note})" if note else ""))
                summaries.append(summary)
    except KeyboardInterrupt:
        interrupted = True
    failed = sum(s["status"] == "failed" for s in summaries)
    reason = "shutdown" if interrupted else "failed" if failed else "finished"
    report = sink.finish(reason, tally, sources=summaries, **details)
    counts = report["counts"]
    typer.echo(f"run {report['crawl_id']}: {counts['warc_records']} WARC records read, {counts['articles']} "
               f"articles, {counts['records']} records, {counts['errors']} corrupt or failed")
    for key in (o["key"] for o in report["objects"] if o["key"].startswith("records/")):
        typer.echo(f"  {report['archive'].rstrip('/')}/{key}")
    typer.echo(f"run report: {report['archive'].rstrip('/')}/runs/{report['crawl_id']}.json")
    if interrupted:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if report["failed_uploads"]:
        typer.echo(f"{len(report['failed_uploads'])} upload(s) failed; the files stay in the spool and the next "
                   "run uploads them", err=True)
        raise typer.Exit(int(ExitCode.UPLOAD_PENDING))
    raise typer.Exit(int(ExitCode.FAILURE if failed else ExitCode.OK))


def imported_records(pointer: str, stream: BinaryIO, counts: ScanCounts, *, window: Window,
                     site: str | None, sink: RecordSink, tally: RunTally,
                     duplicates: DuplicateIndex) -> Iterator[dict[str, Any]]:
    """Records of the article pages of one source WARC, counted as they go."""
    discovery = {"via": "import", "source": pointer, "hints": {}}
    for page in read_pages(stream, counts):
        tally.add(None, "responses")
        if not window.takes(page):
            continue
        page_site = site or site_slug(urlsplit(page.url).hostname or "")
        tally.add(page_site, "fetched")
        if not page.is_html_ok():
            continue
        signals = article_signals(page)
        if signals is None:
            continue
        tally.add(page_site, "articles")
        capture = page_capture(page, warc_key=pointer, site=page_site, crawl_id=sink.crawl_id, discovery=discovery,
                               article_signals=signals)
        record = duplicates.link(page_record(page, capture))
        tally.record(record)
        yield record


def import_one(source: str, *, window: Window, site: str | None, sink: RecordSink, tally: RunTally,
               duplicates: DuplicateIndex) -> dict[str, Any]:
    """Import one WARC; → its line in the run report. Errors are reported, never raised."""
    summary: dict[str, Any] = {"source": source}
    try:
        pointer, opener = source_opener(source)
        with opener() as stream:
            first = first_record_date(stream)
        if first is None:
            raise NotGzipWarcError("no readable WARC record")
        key = f"records/dt={first:%Y-%m-%d}/{warc_basename(source)}.jsonl.gz"
        summary["records_key"] = key
        if sink.exists(key):
            return summary | {"status": "skipped", "reason": "records file exists (imported before)"}
        counts = ScanCounts()
        with opener() as stream:
            written = sink.write(key, imported_records(pointer, stream, counts, window=window, site=site,
                                                      sink=sink, tally=tally, duplicates=duplicates))
    except (OSError, StoreError, NotGzipWarcError) as error:
        log.error("import of %s failed: %s", source, error)
        tally.add(None, "errors")
        return summary | {"status": "failed", "error": str(error)}
    tally.add(None, "warc_records", counts.members)
    tally.add(None, "bytes", counts.bytes_read)
    tally.add(None, "errors", counts.corrupt)
    if counts.corrupt:
        log.warning("%s: %d corrupt member(s) or record(s) skipped%s", source, counts.corrupt,
                    "; the file is cut off" if counts.truncated else "")
    return summary | {"status": "imported", "records": written, "warc_records": counts.members,
                      "corrupt": counts.corrupt, "truncated": counts.truncated}


@app.command("import")
def import_warcs(
    sources: Annotated[list[str], typer.Argument(help="WARC files: local paths or s3://bucket/key URIs.")],
    host: Annotated[list[str] | None, typer.Option(
        "--host", help="Only pages of this host (and its subdomains); repeat for several.")] = None,
    first: FromOption = None,
    last: ToOption = None,
    site: SiteOption = None,
    archive: ArchiveOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Records from existing WARC files (e.g. Common Crawl CC-NEWS), without refetching anything."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    window = parse_window(host, first, last)
    if site is not None and site_slug(site) != site:
        raise fail(ExitCode.USAGE, f"--site {site!r}: use lowercase letters, digits and '-'")
    sink = open_sink(archive, "import")
    tally, duplicates = RunTally(), DuplicateIndex()
    run_each(sources, lambda source: import_one(source, window=window, site=site, sink=sink, tally=tally,
                                                duplicates=duplicates), sink, tally)


def stored_records(sink: RecordSink, key: str) -> list[dict[str, Any]]:
    """The records of a records file of the archive (gzip members, one JSON line each)."""
    return [json.loads(line) for line in gzip.decompress(sink.store.get(key)).splitlines() if line.strip()]


def reextract_one(warc_key: str, *, site: str | None, force: bool, sink: RecordSink, tally: RunTally,
                  duplicates: DuplicateIndex) -> dict[str, Any]:
    """Rebuild the records of one of the archive's WARCs; → its line in the run report."""
    records_key = records_key_for(warc_key)
    summary: dict[str, Any] = {"source": warc_key}
    try:
        existing = [o.key for o in sink.store.list(records_key.removesuffix(".jsonl.gz") + ".")]
        if not force and any(key.endswith(f"-x{__version__}.jsonl.gz") for key in existing):
            return summary | {"status": "skipped", "reason": f"already re-extracted with version {__version__}"}
        source = records_key if records_key in existing else newest_records_key(existing)
        if source is None:
            return summary | {"status": "skipped", "reason": "no records to rebuild"}
        old = stored_records(sink, source)
        if site is not None and all(r["site"] != site for r in old):
            return summary | {"status": "skipped", "reason": f"no records of site {site}"}
        key = reextract_key(records_key, sink.crawl_id, __version__)
        written = sink.write(key, rebuilt_records(old, sink=sink, tally=tally, duplicates=duplicates))
    except (OSError, EOFError, zlib.error, StoreError, ValueError) as error:
        log.error("re-extraction of %s failed: %s", warc_key, error)
        tally.add(None, "errors")
        return summary | {"status": "failed", "error": str(error)}
    missing = len(old) - written
    tally.add(None, "errors", missing)
    return summary | {"status": "rebuilt", "from": source, "records_key": key, "records": written,
                      "missing": missing}


def rebuilt_records(old: list[dict[str, Any]], *, sink: RecordSink, tally: RunTally,
                    duplicates: DuplicateIndex) -> Iterator[dict[str, Any]]:
    """New records for the captures that had records, read at their pointers (revisits point at the original
    response, which holds the payload); what only the crawl knew (site, discovery, hints) is kept."""
    for before in old:
        tally.add(before["site"], "fetched")
        pointer = before["warc"]
        try:
            page = page_at(sink.store, pointer)
        except Exception as error:  # a broken member or record costs this record only
            log.error("%s@%d: unreadable (%s); record not rebuilt", pointer["key"], pointer["offset"], error)
            continue
        if page is None or page.record_id != pointer["record_id"]:
            log.error("%s@%d is not the capture its record points at; skipped", pointer["key"], pointer["offset"])
            continue
        tally.add(None, "warc_records")
        tally.add(None, "bytes", page.length)
        tally.add(before["site"], "articles")
        record = duplicates.link(page_record(page, recorded_capture(before, sink.crawl_id)))
        tally.record(record)
        yield record


def warc_day(key: str) -> date:
    """The capture day in a WARC key `warc/YYYY/MM/DD/…`."""
    _, year, month, day, _ = key.split("/")
    return date(int(year), int(month), int(day))


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
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    window = parse_window(None, first, last)
    sink = open_sink(archive, "reextract")
    tally, duplicates = RunTally(), DuplicateIndex()
    warc_keys = [o.key for o in sink.store.list("warc/") if o.key.endswith(".warc.gz") and o.key.count("/") == 4]
    run_each([key for key in warc_keys if window.takes_day(warc_day(key))],
             lambda key: reextract_one(key, site=site, force=force, sink=sink, tally=tally, duplicates=duplicates),
             sink, tally, extractor_version=__version__)
