"""`import`: records from WARC files someone else wrote (e.g. Common Crawl CC-NEWS), without refetching.

Resumable per source file: its records file has a write-once key, so a source whose key exists is done.
Every error is reported in the source's summary line and counted, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from pipelines.days import DayRange
from pipelines.extract.urls import host_in_domains
from pipelines.layout import imported_records_key, source_basename
from pipelines.records.types import Discovery, Record
from pipelines.run.pages import archived_page_record, article_signals, page_capture, site_slug
from pipelines.run.report import status_class
from pipelines.run.sink import RecordSink, RunTally
from pipelines.run.workers import BatchWorkers
from pipelines.state.dedup import DuplicateIndex
from pipelines.store.base import StoreError, StoreOptions
from pipelines.store.factory import open_store
from pipelines.store.members import ScanCounts
from pipelines.store.stream import open_object
from pipelines.warc.layouts import NotAnArchiveError
from pipelines.warc.reader import Page, first_record_date, read_pages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureFilter:
    """Which captures an import takes: by host (and its subdomains) and by capture day."""

    hosts: tuple[str, ...] = ()
    days: DayRange = field(default_factory=DayRange)

    def takes(self, page: Page) -> bool:
        host_ok = not self.hosts or host_in_domains(urlsplit(page.url).hostname, self.hosts)
        return host_ok and page.fetched_at.date() in self.days


def source_opener(source: str, store_options: StoreOptions | None = None
                  ) -> tuple[str, Callable[[], AbstractContextManager[BinaryIO]]]:
    """(the `warc.key` records point at, a function opening the source) for a path or s3://bucket/key."""
    if source.startswith("s3://"):
        bucket, _, key = source.removeprefix("s3://").partition("/")
        store = open_store(f"s3://{bucket}", store_options)
        return source, lambda: open_object(store, key)
    path = Path(source).expanduser().resolve()
    return str(path), lambda: path.open("rb")


@dataclass(frozen=True)
class ImportTask:
    """One HTML page for a worker to classify and, if it is an article, extract (crosses a process boundary)."""

    page: Page
    pointer: str
    site: str
    crawl_id: str
    discovery: Discovery


def import_record(task: ImportTask) -> Record | None:
    """The record of an imported page, None if the classifier says it is no article (runs in a worker)."""
    signals = article_signals(task.page)
    if signals is None:
        return None
    capture = page_capture(task.page, warc_key=task.pointer, site=task.site, crawl_id=task.crawl_id,
                           discovery=task.discovery, article_signals=signals)
    return archived_page_record(task.page, capture)


class Importer:
    """Imports sources one by one into `sink`; `import_one` is what the CLI calls per file.

    `workers` extraction processes (0: in this process); `close()` stops them.
    """

    def __init__(self, sink: RecordSink, *, captures: CaptureFilter, site: str | None = None,
                 workers: int = 0) -> None:
        self.sink = sink
        self.captures = captures
        self.site = site
        self.tally = RunTally()
        self.duplicates = DuplicateIndex()
        self.workers: BatchWorkers[ImportTask, Record | None] = BatchWorkers(
            import_record, workers, size=lambda task: len(task.page.body))

    def close(self, *, kill: bool = False) -> None:
        self.workers.close(kill=kill)

    def import_one(self, source: str) -> dict[str, Any]:
        """Import one WARC; → its line in the run report."""
        summary: dict[str, Any] = {"source": source}
        try:
            pointer, opener = source_opener(source, self.sink.store_options)
            with opener() as stream:
                first = first_record_date(stream)
            if first is None:
                raise NotAnArchiveError("no readable WARC or ARC record")
            key = imported_records_key(first.date(), source_basename(source))
            summary["records_key"] = key
            if self.sink.exists(key):
                return summary | {"status": "skipped", "reason": "records file exists (imported before)"}
            counts = ScanCounts()
            with opener() as stream:
                written = self.sink.write(key, self._records(pointer, stream, counts))
        except (OSError, StoreError, NotAnArchiveError) as error:
            log.error("import of %s failed: %s", source, error)
            self.tally.add(None, "errors")
            return summary | {"status": "failed", "error": str(error)}
        self.tally.add(None, "warc_records", counts.members)
        self.tally.add(None, "bytes", counts.bytes_read)
        self.tally.add(None, "errors", counts.corrupt)
        if counts.corrupt:
            log.warning("%s: %d corrupt member(s) or record(s) skipped%s", source, counts.corrupt,
                        "; the file is cut off" if counts.truncated else "")
        return summary | {"status": "imported", "records": written, "warc_records": counts.members,
                          "corrupt": counts.corrupt, "truncated": counts.truncated}

    def _tasks(self, pointer: str, stream: BinaryIO, counts: ScanCounts) -> Iterator[ImportTask]:
        """The HTML pages of one source WARC that the filters take, counted as they are read."""
        discovery = Discovery(via="import", source=pointer, hints={})
        for page in read_pages(stream, counts):
            # By status class as a crawl counts them (the run's: all it read; a site's: what the filters take)
            taken = self.captures.takes(page)
            page_site = (self.site or site_slug(urlsplit(page.url).hostname or "")) if taken else None
            self.tally.add(None, "responses")
            if klass := status_class(page.status):
                self.tally.add(page_site, f"responses_{klass}")
            if page_site is None:
                continue
            self.tally.add(page_site, "fetched")
            if page.is_html_ok():
                yield ImportTask(page, pointer, page_site, self.sink.crawl_id, discovery)

    def _records(self, pointer: str, stream: BinaryIO, counts: ScanCounts) -> Iterator[Record]:
        """Records of the article pages of one source WARC, in file order, duplicates linked here (in order)."""
        for record in self.workers.map(self._tasks(pointer, stream, counts)):
            if record is None:
                continue
            self.tally.add(record["site"], "articles")
            record = self.duplicates.link(record)
            self.tally.record(record)
            yield record
