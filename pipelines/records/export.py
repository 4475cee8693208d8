"""Records export to one JSONL or Parquet file, streamed records file by records file.

Parquet schema: one column per record field (record_schema.json); lists are list<string>; `paywall`,
`warc` (with its nullable `revisit` pointer) and `extractor` are structs; `discovery` is a struct whose
free-form `hints` is a JSON string (its keys vary by source, which a fixed Parquet schema cannot hold).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from pipelines.days import ALL_DAYS, DayRange
from pipelines.records.lookup import read_records, records_objects
from pipelines.records.types import Record
from pipelines.store.atomic import atomic_file
from pipelines.store.base import ObjectStore

BATCH = 1000


def _records(store: ObjectStore, days: DayRange) -> Iterator[Record]:
    for obj in records_objects(store, days):
        yield from read_records(store, obj.key)


def parquet_schema() -> Any:
    """The Parquet schema of a record (pyarrow is imported only when Parquet is asked for)."""
    import pyarrow as pa

    strings = pa.list_(pa.string())
    text = pa.string()
    moment = pa.timestamp("us", tz="UTC")
    pointer = [("key", text), ("filename", text), ("offset", pa.int64()), ("length", pa.int64()), ("record_id", text)]
    return pa.schema([
        ("schema_version", pa.int32()), ("id", text), ("capture_id", text), ("url", text),
        ("requested_url", text), ("canonical_url", text), ("site", text), ("domain", text),
        ("fetched_at", moment), ("http_status", pa.int32()), ("title", text), ("authors", strings),
        ("published_at", moment), ("modified_at", moment), ("date_source", text), ("language", text),
        ("language_tag", text), ("section", text), ("section_raw", text), ("tags", strings),
        ("description", text), ("image", text), ("site_name", text),
        ("text", text), ("word_count", pa.int64()),
        ("paywall", pa.struct([("detected", pa.bool_()), ("signals", strings)])),
        ("article_signals", strings), ("rendered", pa.bool_()), ("text_sha1", text), ("simhash", text),
        ("duplicate_of", text),
        ("discovery", pa.struct([("via", text), ("source", text), ("hints", text)])),
        ("warc", pa.struct([*pointer, ("payload_digest", text), ("revisit", pa.struct(pointer))])),
        ("crawl_id", text), ("extractor", pa.struct([("name", text), ("version", text)])),
        ("version", pa.int32()), ("previous_id", text), ("changed_at", moment),
        ("changes", pa.struct([("title_changed", pa.bool_()), ("paragraphs_added", pa.int32()),
                               ("paragraphs_removed", pa.int32()), ("paragraphs_edited", pa.int32()),
                               ("notice", pa.struct([("text", text), ("position", text), ("signals", strings)]))])),
    ])


TIMES = ("fetched_at", "published_at", "modified_at", "changed_at")


def _row(record: Record) -> dict[str, Any]:
    """A record as a Parquet row: RFC 3339 times as timestamps (UTC; a publisher's offset is not kept in Parquet,
    the JSONL export keeps it), discovery hints as JSON text. Records of schema 1 and 2 lack the newer fields: null (and
    `version` 1: they were first versions)."""
    discovery = record["discovery"]
    row: dict[str, Any] = {**record, "discovery": {**discovery, "hints": json.dumps(discovery["hints"],
                                                                                   ensure_ascii=False)}}
    row.setdefault("version", 1)
    for name in TIMES:
        value = row.get(name)
        row[name] = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    return row


def export_records(store: ObjectStore, output: Path, fmt: str, days: DayRange = ALL_DAYS) -> int:
    """Write the records filed in [start, end] to `output` as `jsonl` or `parquet`; returns how many."""
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use jsonl or parquet")
    with atomic_file(output) as fh:
        return _write_jsonl(store, fh, days) if fmt == "jsonl" else _write_parquet(store, fh, days)


def _write_jsonl(store: ObjectStore, fh: BinaryIO, days: DayRange) -> int:
    count = 0
    for record in _records(store, days):
        fh.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        count += 1
    return count


def _write_parquet(store: ObjectStore, fh: BinaryIO, days: DayRange) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 0
    schema = parquet_schema()
    with pq.ParquetWriter(fh, schema) as writer:
        batch: list[dict[str, Any]] = []
        for record in _records(store, days):
            batch.append(_row(record))
            if len(batch) == BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        count += len(batch)
    return count
