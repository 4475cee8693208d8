"""Rotating WARC/1.1 file writer: one gzip member per record, `.open` while written, renamed when done.

A file only gets its final name after it is complete and fsync'ed, so anything named `*.warc.gz`
in the spool is safe to upload, and a killed run leaves only `.open` files behind.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

from pipelines.layout import warc_key
from pipelines.records.types import WarcPointer
from pipelines.store.atomic import close_and_publish, partial_path
from pipelines.warc.cdxj import LiveIndex, LiveIndexes
from pipelines.warc.records import Exchange, Revisit, exchange_records, metadata_record, warc_fields

# Serial per file within the process, shared by all writers so two crawls never pick the same name.
_serials = itertools.count()


@dataclass(frozen=True)
class CaptureRef:
    """Where the response record of an exchange landed: enough for a ranged read of one gzip member."""

    key: str
    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str

    def as_dict(self) -> WarcPointer:
        """The fields of an article record's `warc` object (RECORDS.md), without its `revisit`."""
        return WarcPointer(key=self.key, filename=self.filename, offset=self.offset, length=self.length,
                           record_id=self.record_id, payload_digest=self.payload_digest)


class ArchiveWarcWriter(WARCWriter):
    """warcio's writer, minus the payload digest it would add to metadata records (they carry no HTTP payload)."""

    NO_PAYLOAD_DIGEST_TYPES = (*WARCWriter.NO_PAYLOAD_DIGEST_TYPES, "metadata")


@dataclass
class _OpenWarc:
    key: str
    final: Path
    fh: BinaryIO
    writer: ArchiveWarcWriter
    warcinfo_id: str
    index: LiveIndex | None
    opened: float  # time.monotonic()


class RotatingWarcWriter:
    """Writes exchanges to WARC files under `root` (the spool), rotated by size and by age (`max_age` seconds: a
    slow crawl's WARC and its records file reach the archive within that time, not only at the end of the run).

    Called from the Twisted reactor thread only, so it holds no lock. With `indexes`, each file's CDXJ is built
    while it is written (pipelines.warc.cdxj.LiveIndexes), so closing a file leaves little to index.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str,
        max_size: int,
        warcinfo: dict[str, str],
        on_close: Callable[[str], None],
        indexes: LiveIndexes | None = None,
        max_age: float = 0,
    ) -> None:
        self.root = Path(root)
        self.host = host
        self.max_size = max_size
        self.max_age = max_age  # seconds; 0: no rotation by age
        self.warcinfo = dict(warcinfo)
        self.on_close = on_close
        self.indexes = indexes
        self._current: _OpenWarc | None = None

    def write_exchange(
        self,
        exchange: Exchange,
        *,
        revisit: Revisit | None = None,
        capture_fields: list[tuple[str, str]] | None = None,
    ) -> CaptureRef:
        """Append the response (or revisit) and request records, then a warc-fields metadata record about the
        capture if `capture_fields` are given; rotate once the file reached `max_size`."""
        current = self._current or self._open()
        response, request = exchange_records(current.writer, exchange, current.warcinfo_id, revisit)
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        records = [response, request]
        if capture_fields:
            records.append(metadata_record(
                current.writer, uri=exchange.url, refers_to=record_id, date=exchange.date,
                warcinfo_id=current.warcinfo_id, payload=warc_fields(capture_fields),
                content_type="application/warc-fields"))
        offset, length = self._append(current, records)
        ref = CaptureRef(
            key=current.key,
            filename=current.key.rsplit("/", 1)[-1],
            offset=offset,
            length=length,
            record_id=record_id,
            payload_digest=response.rec_headers.get_header("WARC-Payload-Digest"),
        )
        if current.fh.tell() >= self.max_size or (self.max_age and time.monotonic() - current.opened >= self.max_age):
            self.close()
        return ref

    def write_metadata(self, *, uri: str, refers_to: str, payload: bytes, content_type: str) -> str:
        """Append a metadata record about an earlier record (`refers_to`); → the key of the WARC it went to.

        No rotation here: the next capture rotates (metadata records are small next to the rotation size).
        """
        current = self._current or self._open()
        record = metadata_record(current.writer, uri=uri, refers_to=refers_to, date=datetime.now(UTC),
                                 warcinfo_id=current.warcinfo_id, payload=payload, content_type=content_type)
        self._append(current, [record])
        return current.key

    def _append(self, current: _OpenWarc, records: list[ArcWarcRecord]) -> tuple[int, int]:
        """Write the records, all or none; (offset, length) of the first one's gzip member."""
        offset = current.fh.tell()
        length = 0
        try:
            for record in records:
                current.writer.write_record(record)
                length = length or current.fh.tell() - offset
        except BaseException:
            # Never leave a half-written gzip member: later records would be unreadable.
            current.fh.seek(offset)
            current.fh.truncate()
            raise
        # To the OS now: a capture answered before a kill -9 is in the file the next run salvages, and so is the
        # response a record written after it points at (fsync, for power loss, only when the file is complete).
        current.fh.flush()
        if current.index is not None:
            current.index.appended(current.fh.tell())
        return offset, length

    def close(self) -> None:
        """Finish the current file: fsync, rename from `.open`, then hand its key to `on_close`."""
        current, self._current = self._current, None
        if current is None:
            return
        size = current.fh.tell()
        close_and_publish(current.fh, current.final)
        if current.index is not None:
            current.index.sealed(size)
        self.on_close(current.key)

    def _open(self) -> _OpenWarc:
        """Create the next file (write-once: skip serials whose name is taken) and its warcinfo."""
        opened = datetime.now(UTC)
        while True:
            key = warc_key(opened, next(_serials), self.host)
            final = self.root / key
            path = partial_path(final)
            path.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                continue
            try:
                fh = path.open("xb")
            except FileExistsError:
                continue
            break
        writer = ArchiveWarcWriter(fh, gzip=True, warc_version="1.1")
        warcinfo = writer.create_warcinfo_record(final.name, self.warcinfo)
        writer.write_record(warcinfo)
        index = self.indexes.start(final) if self.indexes is not None else None
        self._current = _OpenWarc(key, final, fh, writer, warcinfo.rec_headers.get_header("WARC-Record-ID"), index,
                                  time.monotonic())
        return self._current
