"""Readers for what a crawl left in an archive, shared by the end-to-end tests (local and S3)."""

import gzip
import hashlib
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdxj_indexer.main import write_cdx_index
from warcio.archiveiterator import ArchiveIterator

from pipelines.store.base import ObjectStore
from pipelines.warc.codings import content_codings, decode


@dataclass
class WarcRecordView:
    type: str
    uri: str
    record_id: str
    concurrent_to: str | None
    http_status: str | None
    http_headers: list[tuple[str, str]]
    raw_payload: bytes


def _payload(record: object) -> bytes:
    """The stored payload, still content-encoded (warcio's content_stream() would decode gzip, and raise on br: its
    br decoder only works with brotlipy)."""
    return record.raw_stream.read()  # type: ignore[attr-defined]


def warc_records(data: bytes) -> list[WarcRecordView]:
    """Every record of a WARC file, with the payload as stored (not decoded)."""
    views = []
    for record in ArchiveIterator(io.BytesIO(data)):
        headers = record.http_headers
        views.append(WarcRecordView(
            type=record.rec_type,
            uri=record.rec_headers.get_header("WARC-Target-URI") or "",
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            concurrent_to=record.rec_headers.get_header("WARC-Concurrent-To"),
            http_status=headers.get_statuscode() if headers and record.rec_type == "response" else None,
            http_headers=list(headers.headers) if headers else [],
            raw_payload=_payload(record),
        ))
    return views


def decoded_body(view: WarcRecordView) -> bytes:
    """The HTTP body as a browser sees it (the WARC keeps it content-encoded)."""
    codings = content_codings(value for name, value in view.http_headers if name.lower() == "content-encoding")
    return decode(view.raw_payload, codings, 0)


def library_index(warc: Path) -> bytes:
    """What cdxj-indexer itself (`cdxj-indexer -s -p`, as pywb's wb-manager runs it) writes for a finished WARC."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "reference.cdxj"
        write_cdx_index(str(out), [str(warc)], {"sort": True, "post_append": True})
        return out.read_bytes()


def jsonl_gz(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(data).decode("utf-8").splitlines() if line]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ArchiveContents:
    """Everything under an archive URI, read through the project's own store interface."""

    keys: list[str]
    warcs: dict[str, list[WarcRecordView]]
    records: list[dict[str, Any]]
    reports: list[dict[str, Any]]

    @classmethod
    def read(cls, store: ObjectStore) -> "ArchiveContents":
        keys = [obj.key for obj in store.list("")]
        warcs = {k: warc_records(store.get(k)) for k in keys if k.endswith(".warc.gz")}
        records = [r for k in keys if k.endswith(".jsonl.gz") for r in jsonl_gz(store.get(k))]
        reports = [json.loads(store.get(k)) for k in keys if k.startswith("runs/")]
        return cls(keys=keys, warcs=warcs, records=records, reports=reports)

    def all_warc_records(self) -> list[WarcRecordView]:
        return [record for records in self.warcs.values() for record in records]

    def responses(self) -> dict[str, WarcRecordView]:
        return {r.uri: r for r in self.all_warc_records() if r.type == "response"}


def record_at_pointer(store: ObjectStore, record: dict[str, Any]) -> WarcRecordView:
    """The WARC record a record's pointer addresses, read with one ranged read."""
    pointer = record["warc"]
    member = store.get(pointer["key"], start=pointer["offset"], length=pointer["length"])
    assert len(member) == pointer["length"]
    (view,) = warc_records(member)
    return view
