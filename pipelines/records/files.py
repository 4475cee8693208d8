"""Append-only JSONL.gz records file: one gzip member per record, so a killed run loses at most one line."""

import gzip
import json
import queue
import weakref
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from pipelines.gcpolicy import CycleNudge
from pipelines.records.build import SCHEMA_VERSION, validate_record
from pipelines.records.types import Record
from pipelines.store.atomic import close_and_publish, partial_path

# The Content-Type of a record written into a WARC as a metadata record: its schema's `$id` (schema.json).
RECORD_CONTENT_TYPE = f'application/json; profile="https://newsarchive.invalid/schema/record-{SCHEMA_VERSION}.json"'


def record_json(record: Record) -> bytes:
    """A record as the archive stores it, in records files and WARC metadata records alike: compact UTF-8 JSON."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class RecordsFile:
    """Written as `<path>.open`, renamed to `<path>` when complete (like WARC files)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.open_path = partial_path(path)
        self.open_path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.open_path.open("xb")
        self.count = 0

    def append(self, record: Record) -> None:
        """Add one record (schema-checked first: an invalid record raises InvalidRecordError and is not written)."""
        validate_record(record)
        self._fh.write(gzip.compress(record_json(record) + b"\n", mtime=0))
        self._fh.flush()
        self.count += 1

    def close(self) -> None:
        """fsync and rename: only a complete file loses its `.open` suffix."""
        close_and_publish(self._fh, self.path)


class RecordsFiles:
    """The open records files of a crawl, one per WARC key, at the paths `path_for(warc_key)` gives.

    A file is finished as soon as no record can come for its WARC any more, not at the end of the run: once the
    WARC is closed and every capture written to it is through the crawl. A capture is `hold`-ed with an object
    that lives as long as it is on its way (the crawl's request: Scrapy keeps it until the response's items are
    through the item pipelines); its end is learnt from a weakref, so a capture that never becomes a record (a
    feed, a 404, a page dropped on the way) ends too, however it ended. Used from the reactor thread; only the
    holders' finalizers run elsewhere.
    """

    def __init__(self, path_for: Callable[[str], Path]) -> None:
        self._path_for = path_for
        self._open: dict[str, RecordsFile] = {}
        self._finished: set[str] = set()  # WARC keys whose records file is finished (its key is write-once)
        self._closed_warcs: set[str] = set()  # closed WARCs whose records file is not finished yet
        self._holding: Counter[str] = Counter()  # WARC key → captures in it still on their way
        # WARC keys of freed holders. A weakref's callback runs wherever the object is freed: in another thread,
        # or in a collection that starts inside this class's own code. So it takes no lock (one it held already
        # would wait for ever); it only puts, which SimpleQueue allows from such callbacks; `_ready` counts them.
        self._released: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._nudge = CycleNudge()

    def hold(self, warc_key: str, holder: object) -> None:
        """A capture was written to `warc_key`; its records may come until `holder` is freed."""
        self._holding[warc_key] += 1
        weakref.finalize(holder, self._released.put, warc_key)

    def warc_closed(self, warc_key: str) -> None:
        """No capture is written to `warc_key` any more."""
        self._closed_warcs.add(warc_key)

    def finished(self, warc_key: str) -> bool:
        return warc_key in self._finished

    def append(self, warc_key: str, record: Record) -> None:
        if warc_key in self._finished:
            raise ValueError(f"the records file of {warc_key} is finished")
        records = self._open.get(warc_key)
        if records is None:
            records = self._open[warc_key] = RecordsFile(self._path_for(warc_key))
        records.append(record)

    def ready(self) -> list[str]:
        """Closed WARCs none of whose captures is on its way any more: their records are all written."""
        ready, waiting = self._ready()
        if waiting and self._nudge.due():  # a request that only a reference cycle still holds is freed now
            ready, waiting = self._ready()
        if not waiting:
            self._nudge.satisfied()
        return ready

    def _ready(self) -> tuple[list[str], bool]:
        while True:
            try:
                warc_key = self._released.get_nowait()
            except queue.Empty:
                break
            self._holding[warc_key] -= 1
            if self._holding[warc_key] <= 0:
                del self._holding[warc_key]
        ready = [key for key in self._closed_warcs if self._holding.get(key, 0) <= 0]
        return ready, len(ready) < len(self._closed_warcs)

    def finish(self, warc_keys: list[str]) -> list[str]:
        """Finish the records files of these WARCs; → the keys of those that had a records file (WARCs without
        a record get none)."""
        done = []
        for warc_key in warc_keys:
            self._closed_warcs.discard(warc_key)
            self._finished.add(warc_key)
            records = self._open.pop(warc_key, None)
            if records is not None:
                records.close()
                done.append(warc_key)
        return done

    def close_all(self) -> list[str]:
        """Finish every open file (the end of the run); → the WARC keys whose records files are now complete."""
        return self.finish(list(self._open))
