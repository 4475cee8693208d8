"""Reading an archive back: which WARC and records objects exist, a URL's latest record or all its records (its
versions), its raw capture.

Everything goes through `ObjectStore`, so the same code reads a local directory and an S3 bucket. There is
no lookup index yet: a URL's record is found by scanning `records/` partitions newest first, which is fine
for archives of thousands of records per day and the first thing to replace when they grow.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Protocol

from warcio.archiveiterator import ArchiveIterator

from pipelines.days import ALL_DAYS, DayRange
from pipelines.extract.urls import normalize_url
from pipelines.layout import RECORDS_PREFIX, WARC_PREFIX, current_records_keys, is_warc_key, key_day
from pipelines.records.types import Record, record_version
from pipelines.store.base import READ_CHUNK, ObjectStore, StoredObject

URL_FIELDS = ("url", "requested_url", "canonical_url")


class CaptureMismatchError(Exception):
    """A record's WARC pointer does not address its own response record (archive damaged or rewritten)."""


def _dated(objects: Iterable[StoredObject], days: DayRange) -> list[StoredObject]:
    return [obj for obj in objects if key_day(obj.key) in days]


def warc_objects(store: ObjectStore, days: DayRange = ALL_DAYS) -> list[StoredObject]:
    """The archive's WARC files filed on days in the range, oldest first."""
    return [obj for obj in _dated(store.list(WARC_PREFIX), days) if is_warc_key(obj.key)]


def records_objects(store: ObjectStore, days: DayRange = ALL_DAYS) -> list[StoredObject]:
    """Current records files filed on days in the range, oldest first: of a re-extracted WARC only the
    newest records file (the older ones stay in the archive, addressable, but are not read twice)."""
    objects = _dated(store.list(RECORDS_PREFIX), days)
    current = set(current_records_keys(obj.key for obj in objects))
    return [obj for obj in objects if obj.key in current]


def read_records(store: ObjectStore, key: str) -> Iterator[Record]:
    """The records of one records file (one JSON object per line, each line its own gzip member)."""
    with gzip.GzipFile(fileobj=BytesIO(store.get(key))) as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def url_forms(url: str) -> set[str]:
    """The URL as given and normalised (no fragment, no tracking parameters, lower-case host): one copied from a
    browser's address bar (`#comments`, `?utm_source=…`) names the same article."""
    return {url, normalize_url(url)}


def matches_url(record: Record, forms: set[str]) -> bool:
    """Whether the record is a capture of a URL of `forms` (as fetched, as first requested, or canonical)."""
    return any(record.get(field) in forms for field in URL_FIELDS)


def records_of(store: ObjectStore, url: str) -> list[Record]:
    """Every record of a URL (its versions, and re-captures by a refetch), oldest first; one scan of records/."""
    forms = url_forms(url)
    found = [rec for obj in records_objects(store) for rec in read_records(store, obj.key) if matches_url(rec, forms)]
    return sorted(found, key=lambda rec: (rec["fetched_at"], record_version(rec)))


def latest_record(store: ObjectStore, url: str) -> Record | None:
    """The most recent record of a URL: newest day partition first, latest `fetched_at` within the day."""
    forms = url_forms(url)
    by_day: dict[date, list[str]] = {}
    for obj in records_objects(store):
        by_day.setdefault(key_day(obj.key) or date.min, []).append(obj.key)
    for day in sorted(by_day, reverse=True):
        found = [rec for key in by_day[day] for rec in read_records(store, key) if matches_url(rec, forms)]
        if found:
            return max(found, key=lambda rec: rec["fetched_at"])
    return None


def archived_response(store: ObjectStore, record: Record) -> bytes:
    """The HTTP response of a record exactly as archived (status line, headers, body as received).

    One ranged read of the gzip member the record points at; the WARC record block is returned unparsed,
    so the bytes are the stored ones, not a re-serialisation.
    """
    pointer = record["warc"]
    member = store.get(pointer["key"], start=pointer["offset"], length=pointer["length"])
    warc_record = next(iter(ArchiveIterator(BytesIO(member), no_record_parse=True)), None)
    if warc_record is None:
        raise CaptureMismatchError(f"{pointer['key']}@{pointer['offset']}: no WARC record there")
    record_id = warc_record.rec_headers.get_header("WARC-Record-ID")
    if record_id != pointer["record_id"]:
        raise CaptureMismatchError(
            f"{pointer['key']}@{pointer['offset']}: found record {record_id}, the record points at "
            f"{pointer['record_id']}")
    return warc_record.raw_stream.read()


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def copy_object(store: ObjectStore, obj: StoredObject, out: Writable) -> None:
    """Stream an object into a file in READ_CHUNK ranged reads, never holding it whole in memory."""
    offset = 0
    while offset < obj.size:
        chunk = store.get(obj.key, start=offset, length=min(READ_CHUNK, obj.size - offset))
        if not chunk:
            raise OSError(f"{obj.key}: object ended at {offset} of {obj.size} bytes")
        out.write(chunk)
        offset += len(chunk)


def download(store: ObjectStore, key: str, dest: Path) -> StoredObject | None:
    """Copy an object to a local file; None (and no file) if the key does not exist."""
    obj = store.head(key)
    if obj is None:
        return None
    with dest.open("wb") as out:
        copy_object(store, obj, out)
    return obj


def digest_problems(path: Path) -> list[str]:
    """Block and payload digest failures of a WARC file, as `warcio check` finds them (same iterator)."""
    problems = []
    with path.open("rb") as fh:
        records = ArchiveIterator(fh, check_digests=True)
        try:
            for record in records:
                # The stored payload drives the digest check; content_stream() would also undo Content-Encoding
                # (inflating bombs, and raising on br: warcio's br decoder only works with brotlipy).
                while record.raw_stream.read(READ_CHUNK):
                    pass
                if record.digest_checker.passed is False:
                    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                    where = f"@{records.get_record_offset()} {record.rec_type} {uri}".rstrip()
                    problems += [f"{where}: {problem}" for problem in record.digest_checker.problems]
        except Exception as exc:  # warcio raises several unrelated types for unreadable input
            # the offset where reading stopped (warcio's get_record_offset() raises if no record was read yet)
            problems.append(f"unreadable at @{records.offset}: {exc}")
    return problems
