"""Append-only JSONL.gz records file: one gzip member per record, so a killed run loses at most one line."""

import gzip
import json
from collections.abc import Callable
from pathlib import Path

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
    """The open records files of a crawl, one per WARC key, at the paths `path_for(warc_key)` gives."""

    def __init__(self, path_for: Callable[[str], Path]) -> None:
        self._path_for = path_for
        self._open: dict[str, RecordsFile] = {}

    def append(self, warc_key: str, record: Record) -> None:
        records = self._open.get(warc_key)
        if records is None:
            records = self._open[warc_key] = RecordsFile(self._path_for(warc_key))
        records.append(record)

    def close_all(self) -> list[str]:
        """Finish every open file; → the WARC keys whose records files are now complete."""
        closed = []
        for warc_key, records in list(self._open.items()):
            records.close()
            del self._open[warc_key]
            closed.append(warc_key)
        return closed
