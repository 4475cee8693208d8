"""`reextract`: rebuild records from the archive's own WARCs with the current extractor; old records stay.

Each WARC's new records go to a new write-once key (`…re-<crawl_id>-x<EXTRACTOR_VERSION>.jsonl.gz`), so a
WARC already rebuilt by this extractor version is skipped and a killed run resumes where it stopped.
"""

from __future__ import annotations

import logging
import zlib
from collections import deque
from collections.abc import Iterator
from typing import Any

from pipelines.days import DayRange
from pipelines.extract.version import EXTRACTOR_VERSION
from pipelines.layout import (
    WARC_PREFIX,
    is_warc_key,
    key_day,
    newest_records_key,
    records_family_prefix,
    records_key_for,
    reextract_key,
    reextracted_with,
)
from pipelines.records.build import Capture
from pipelines.records.lookup import read_records
from pipelines.records.types import Record
from pipelines.run.pages import archived_page_record, recorded_capture
from pipelines.run.sink import RecordSink, RunTally
from pipelines.run.workers import BatchWorkers
from pipelines.state.dedup import DuplicateIndex
from pipelines.store.base import StoreError
from pipelines.warc.reader import Page, page_at

log = logging.getLogger(__name__)


def rebuild_record(task: tuple[Page, Capture]) -> Record:
    """The new record of a page read back at its pointer (runs in a worker)."""
    return archived_page_record(*task)


VERSION_FIELDS = ("version", "previous_id", "changed_at", "changes")


def keep_version(record: Record, before: Record) -> Record:
    """A rebuilt record stays the version it was (docs/versions.md); `changes` is the crawl's summary, made with
    the extractor of then (records of schema 1 and 2 were first versions: they keep the defaults)."""
    for name in VERSION_FIELDS:
        if name in before:
            record[name] = before[name]  # type: ignore[literal-required]
    return record


class Reextractor:
    """Rebuilds the records of the archive's WARCs one by one into `sink`.

    `workers` extraction processes (0: in this process); `close()` stops them.
    """

    def __init__(self, sink: RecordSink, *, site: str | None = None, force: bool = False, workers: int = 0) -> None:
        self.sink = sink
        self.site = site
        self.force = force
        self.tally = RunTally()
        self.duplicates = DuplicateIndex()
        self.workers: BatchWorkers[tuple[Page, Capture], Record] = BatchWorkers(
            rebuild_record, workers, size=lambda task: len(task[0].body))

    def close(self, *, kill: bool = False) -> None:
        self.workers.close(kill=kill)

    def warc_keys(self, days: DayRange) -> list[str]:
        """The archive's WARCs filed on days in the range, oldest first."""
        return [o.key for o in self.sink.store.list(WARC_PREFIX) if is_warc_key(o.key) and key_day(o.key) in days]

    def reextract_one(self, warc_key: str) -> dict[str, Any]:
        """Rebuild the records of one WARC; → its line in the run report. Errors are reported, never raised."""
        records_key = records_key_for(warc_key)
        summary: dict[str, Any] = {"source": warc_key}
        try:
            existing = [o.key for o in self.sink.store.list(records_family_prefix(records_key))]
            if not self.force and any(reextracted_with(key, EXTRACTOR_VERSION) for key in existing):
                return summary | {"status": "skipped",
                                  "reason": f"already re-extracted with extractor version {EXTRACTOR_VERSION}"}
            source = records_key if records_key in existing else newest_records_key(existing)
            if source is None:
                return summary | {"status": "skipped", "reason": "no records to rebuild"}
            old = list(read_records(self.sink.store, source))
            if self.site is not None and all(r["site"] != self.site for r in old):
                return summary | {"status": "skipped", "reason": f"no records of site {self.site}"}
            key = reextract_key(records_key, self.sink.crawl_id, EXTRACTOR_VERSION)
            written = self.sink.write(key, self._rebuilt(old))
        except (OSError, EOFError, zlib.error, StoreError, ValueError) as error:
            log.error("re-extraction of %s failed: %s", warc_key, error)
            self.tally.add(None, "errors")
            return summary | {"status": "failed", "error": str(error)}
        missing = len(old) - written
        self.tally.add(None, "errors", missing)
        return summary | {"status": "rebuilt", "from": source, "records_key": key, "records": written,
                          "missing": missing}

    def _rebuilt(self, old: list[Record]) -> Iterator[Record]:
        """New records for the captures that had records, in their order; duplicates linked here (in order), and
        each keeps the version its old record was."""
        rebuilt_from: deque[Record] = deque()  # the old records of the pages handed out, in the order of results
        for record in self.workers.map(self._pages(old, rebuilt_from)):
            record = self.duplicates.link(keep_version(record, rebuilt_from.popleft()))
            self.tally.record(record)
            yield record

    def _pages(self, old: list[Record], rebuilt_from: deque[Record]) -> Iterator[tuple[Page, Capture]]:
        """The pages of the captures that had records, read at their pointers (revisits point at the original
        response, which holds the payload), with what only the crawl knew (site, discovery, hints)."""
        for before in old:
            self.tally.add(before["site"], "fetched")
            pointer = before["warc"]
            try:
                page = page_at(self.sink.store, pointer)
            except Exception as error:  # a broken member or record costs this record only
                log.error("%s@%d: unreadable (%s); record not rebuilt", pointer["key"], pointer["offset"], error)
                continue
            if page is None or page.record_id != pointer["record_id"]:
                log.error("%s@%d is not the capture its record points at; skipped", pointer["key"], pointer["offset"])
                continue
            self.tally.add(None, "warc_records")
            self.tally.add(None, "bytes", page.length)
            self.tally.add(before["site"], "articles")
            rebuilt_from.append(before)
            yield page, recorded_capture(before, self.sink.crawl_id)
