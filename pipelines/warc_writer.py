"""Rotating WARC/1.1 file writer: one gzip member per record, `.open` while written, renamed when done.

A file only gets its final name after it is complete and fsync'ed, so anything named `*.warc.gz`
in the spool is safe to upload, and a killed run leaves only `.open` files behind.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.warcwriter import WARCWriter

from pipelines.warc import Exchange, exchange_records

PREFIX = "NEWSARCHIVE"
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

    def as_dict(self) -> dict:
        """The `warc` object of an article record (RECORDS.md)."""
        return asdict(self)


def safe_host(host: str) -> str:
    """Host name usable inside a file name and object key."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", host).strip("-.") or "localhost"


def warc_key(opened: datetime, serial: int, host: str) -> str:
    """Object key of a WARC file: date directories, then the sortable NEWSARCHIVE name."""
    stamp = opened.astimezone(UTC)
    name = f"{PREFIX}-{stamp:%Y%m%d%H%M%S}-{serial:05d}-{safe_host(host)}.warc.gz"
    return f"warc/{stamp:%Y/%m/%d}/{name}"


@dataclass
class _OpenWarc:
    key: str
    path: Path
    fh: BinaryIO
    writer: WARCWriter
    warcinfo_id: str


class RotatingWarcWriter:
    """Writes exchanges to size-rotated WARC files under `root` (the spool).

    Called from the Twisted reactor thread only, so it holds no lock.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str,
        max_size: int,
        warcinfo: dict[str, str],
        on_close: Callable[[str], None],
    ) -> None:
        self.root = Path(root)
        self.host = host
        self.max_size = max_size
        self.warcinfo = dict(warcinfo)
        self.on_close = on_close
        self._current: _OpenWarc | None = None

    def write_exchange(self, exchange: Exchange) -> CaptureRef:
        """Append the response and request records; rotate once the file reached `max_size`."""
        current = self._current or self._open()
        response, request = exchange_records(current.writer, exchange, current.warcinfo_id)
        offset = current.fh.tell()
        try:
            current.writer.write_record(response)
            length = current.fh.tell() - offset
            current.writer.write_record(request)
        except BaseException:
            # Never leave a half-written gzip member: later records would be unreadable.
            current.fh.seek(offset)
            current.fh.truncate()
            raise
        ref = CaptureRef(
            key=current.key,
            filename=current.key.rsplit("/", 1)[-1],
            offset=offset,
            length=length,
            record_id=response.rec_headers.get_header("WARC-Record-ID"),
            payload_digest=response.rec_headers.get_header("WARC-Payload-Digest"),
        )
        if current.fh.tell() >= self.max_size:
            self.close()
        return ref

    def close(self) -> None:
        """Finish the current file: fsync, rename from `.open`, then hand its key to `on_close`."""
        current, self._current = self._current, None
        if current is None:
            return
        current.fh.flush()
        os.fsync(current.fh.fileno())
        current.fh.close()
        final = current.path.with_name(current.path.name.removesuffix(".open"))
        os.rename(current.path, final)
        _fsync_dir(final.parent)
        self.on_close(current.key)

    def _open(self) -> _OpenWarc:
        """Create the next file (write-once: skip serials whose name is taken) and its warcinfo."""
        opened = datetime.now(UTC)
        while True:
            key = warc_key(opened, next(_serials), self.host)
            final = self.root / key
            path = final.with_name(final.name + ".open")
            path.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                continue
            try:
                fh = path.open("xb")
            except FileExistsError:
                continue
            break
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        warcinfo = writer.create_warcinfo_record(final.name, self.warcinfo)
        writer.write_record(warcinfo)
        self._current = _OpenWarc(key, path, fh, writer, warcinfo.rec_headers.get_header("WARC-Record-ID"))
        return self._current


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: the directory entry must reach the disk too."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
