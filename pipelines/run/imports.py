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
from pipelines.run.sink import RecordSink, RunTally
from pipelines.state.dedup import DuplicateIndex
from pipelines.store.base import StoreError, StoreOptions
from pipelines.store.factory import open_store
from pipelines.store.members import ScanCounts
from pipelines.store.stream import open_object
from pipelines.warc.reader import NotGzipWarcError, Page, first_record_date, read_pages

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


class Importer:
    """Imports sources one by one into `sink`; `import_one` is what the CLI calls per file."""

    def __init__(self, sink: RecordSink, *, captures: CaptureFilter, site: str | None = None) -> None:
        self.sink = sink
        self.captures = captures
        self.site = site
        self.tally = RunTally()
        self.duplicates = DuplicateIndex()

    def import_one(self, source: str) -> dict[str, Any]:
        """Import one WARC; → its line in the run report."""
        summary: dict[str, Any] = {"source": source}
        try:
            pointer, opener = source_opener(source, self.sink.store_options)
            with opener() as stream:
                first = first_record_date(stream)
            if first is None:
                raise NotGzipWarcError("no readable WARC record")
            key = imported_records_key(first.date(), source_basename(source))
            summary["records_key"] = key
            if self.sink.exists(key):
                return summary | {"status": "skipped", "reason": "records file exists (imported before)"}
            counts = ScanCounts()
            with opener() as stream:
                written = self.sink.write(key, self._records(pointer, stream, counts))
        except (OSError, StoreError, NotGzipWarcError) as error:
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

    def _records(self, pointer: str, stream: BinaryIO, counts: ScanCounts) -> Iterator[Record]:
        """Records of the article pages of one source WARC, counted as they go."""
        discovery = Discovery(via="import", source=pointer, hints={})
        for page in read_pages(stream, counts):
            self.tally.add(None, "responses")
            if not self.captures.takes(page):
                continue
            page_site = self.site or site_slug(urlsplit(page.url).hostname or "")
            self.tally.add(page_site, "fetched")
            if not page.is_html_ok():
                continue
            signals = article_signals(page)
            if signals is None:
                continue
            self.tally.add(page_site, "articles")
            capture = page_capture(page, warc_key=pointer, site=page_site, crawl_id=self.sink.crawl_id,
                                   discovery=discovery, article_signals=signals)
            record = self.duplicates.link(archived_page_record(page, capture))
            self.tally.record(record)
            yield record
