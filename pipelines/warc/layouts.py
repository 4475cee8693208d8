"""How an archive file is laid out, and its records cut out one by one with the offsets that address them.

What archives really hold comes in three layouts:
- gzip per record (`.warc.gz`, `.arc.gz` as crawlers write them): one member per record, so a member's offset
  and length in the file give the record back with one ranged read;
- plain (`.warc`, `.arc`): records back to back; an offset and length in the file give the record back too;
- whole-file gzip (a plain file gzipped afterwards, or members of many records): no offset in the file
  addresses a record, so the file is read in one pass and offsets count in the decompressed stream.

Records are split here rather than by warcio's or FastWARC's iterators because both stop at the first
damaged record (and FastWARC hands out a cut-off last record as if whole): here a bad record is counted and
skipped, reading resumes at the next record header, and a cut-off tail is counted as such.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from pipelines.store.members import GZIP_MAGIC, MAX_MEMBER_BYTES, Member, ScanCounts

GZIP_RECORDS, PLAIN, WHOLE_GZIP = "gzip-per-record", "plain", "whole-file gzip"
SNIFF_BYTES = 256 * 1024  # compressed bytes read to tell a gzip-per-record file from a whole-file gzip
MAX_LINE = 64 * 1024
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$")
# ARC v1 record line: URL IP-address archive-date content-type length (a filedesc:// URL for the first)
_ARC_LINE = re.compile(rb"^\S+ \S+ \d{8,14} \S* ?(\d+)\r?\n$")


class NotAnArchiveError(ValueError):
    """The source holds no readable WARC or ARC record (so nothing can be imported from it)."""


class _Prefixed(io.RawIOBase):
    """`head` then the rest of `stream`: sniffing a stream that cannot seek back."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        super().__init__()
        self.head, self.stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count], self.head = self.head[:count], self.head[count:]
            return count
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def first_record_end(data: bytes) -> int | None:
    """Where the first WARC or ARC v1 record of `data` ends (its trailing newlines not counted), None if its
    header is not all there or does not parse."""
    if data.startswith(b"WARC/"):
        end = data.find(b"\r\n\r\n")
        match = _CONTENT_LENGTH.search(data, 0, end) if end >= 0 else None
        return end + 4 + int(match.group(1)) if match else None
    line_end = data.find(b"\n")
    match = _ARC_LINE.match(data[: line_end + 1]) if line_end >= 0 else None
    return line_end + 1 + int(match.group(1)) if match else None


def _one_record_per_member(head: bytes) -> bool:
    """Whether the first gzip member of a file holds exactly one record (judged from the file's first bytes)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(head, 4 * SNIFF_BYTES)
    except zlib.error:
        return True  # a damaged first member: the member reader counts it and goes on
    end = first_record_end(data)
    if end is None:
        return True
    spare = data[end:]
    return not spare.strip(b"\r\n")  # anything but the record's trailing newlines is a second record


def open_layout(stream: BinaryIO) -> tuple[str, BinaryIO]:
    """(layout, a stream to read from its start): for a whole-file gzip, the decompressed stream."""
    head = stream.read(SNIFF_BYTES)
    rest = io.BufferedReader(_Prefixed(head, stream), buffer_size=1024 * 1024)
    if head.startswith(GZIP_MAGIC):
        if _one_record_per_member(head):
            return GZIP_RECORDS, rest
        return WHOLE_GZIP, io.BufferedReader(gzip.GzipFile(fileobj=rest), buffer_size=1024 * 1024)  # type: ignore[arg-type]
    if head.lstrip(b"\r\n").startswith((b"WARC/", b"filedesc://")):
        return PLAIN, rest
    raise NotAnArchiveError("not a WARC or ARC file: it starts with neither `WARC/`, `filedesc://` nor a gzip header")


def _header_block(stream: BinaryIO, first: bytes) -> bytes | None:
    """A WARC header block from its first line through the blank line, None if it does not end in time."""
    lines = [first]
    size = len(first)
    while size <= MAX_LINE * 4:
        line = stream.readline(MAX_LINE)
        if not line:
            return None
        lines.append(line)
        size += len(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)
    return None


def plain_records(stream: BinaryIO, counts: ScanCounts) -> Iterator[Member]:
    """The records of a plain WARC or ARC v1 stream with their offsets; damage is counted and skipped."""
    position = 0
    pending = b""  # a line read ahead: the next record's first line
    in_junk = False
    arc: bool | None = None  # which format the file is, from its first record: only its headers count after
    while True:
        line = pending or stream.readline(MAX_LINE)
        pending = b""
        if not line:
            return
        start = position
        position += len(line)
        if line in (b"\r\n", b"\n"):
            continue
        if line.startswith(b"WARC/") and arc is not True:
            header = _header_block(stream, line)
            match = _CONTENT_LENGTH.search(header) if header is not None else None
            body_length = int(match.group(1)) if match else None
            if header is not None:
                position += len(header) - len(line)
        else:
            header = line
            match = _ARC_LINE.match(line) if arc is not False else None
            body_length = int(match.group(1)) if match else None
        if body_length is None:  # not a record header: skip to the next line that starts one
            counts.corrupt += not in_junk
            in_junk = True
            continue
        in_junk = False
        arc = not line.startswith(b"WARC/")
        assert header is not None
        if body_length > MAX_MEMBER_BYTES:
            counts.corrupt += 1
            position += _skip(stream, body_length)
            continue
        body = stream.read(body_length)
        position += len(body)
        if len(body) < body_length:
            counts.corrupt += 1
            counts.truncated = True
            return
        trailer = b""
        while (line := stream.readline(MAX_LINE)) in (b"\r\n", b"\n"):
            trailer += line
        pending = line
        position += len(trailer)
        counts.members += 1
        counts.bytes_read = position
        yield Member(start, position - start, header + body + trailer)


def _skip(stream: BinaryIO, count: int) -> int:
    skipped = 0
    while skipped < count and (piece := stream.read(min(1024 * 1024, count - skipped))):
        skipped += len(piece)
    return skipped
