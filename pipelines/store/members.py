"""The one reader of multi-member gzip files: WARC.gz, records JSONL.gz and state files.

Everything the archive writes is one gzip member per record, so a member's offset and length address one
record, and after a crash everything up to the last member whose CRC and length check out is intact.

Two modes over the same walker:
- strict (`tolerant=False`): stop at the first bad or cut-off member with `MemberError` (lint, salvage);
- tolerant: count a damaged stretch, resume at the next gzip header, count a cut-off tail (import of WARCs
  that others wrote, damaged in transit). A stretch counts once however many false starts it holds: the
  bytes `1f 8b 08` occur by chance in compressed data (one in 16 MB), so resyncing inside a damaged member
  can stumble on a few, and they are not more damage.
Memory stays bounded whatever the input: data is fed to zlib in small pieces, and a member whose
inflated size passes `max_size` is refused (a zip bomb, or a corrupt length pulling in the rest of the file).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

READ_SIZE = 1024 * 1024
FEED_SIZE = 64 * 1024  # compressed bytes handed to zlib at a time
INFLATE_STEP = 1024 * 1024  # inflated bytes zlib may return per call, so a bomb never balloons memory
GZIP_MAGIC = b"\x1f\x8b"
MEMBER_START = GZIP_MAGIC + b"\x08"  # gzip magic + deflate
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # inflated; more is not one archived record of a news crawl


class MemberError(ValueError):
    """Strict mode: the file is not (or no longer) a sequence of complete gzip members at `offset`."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"@{offset}: {reason}")
        self.offset = offset


class NotGzipMembersError(ValueError):
    """Tolerant mode: the source holds no readable gzip member at all (so no record can be addressed)."""


@dataclass(frozen=True)
class Member:
    """One complete gzip member: where it is in the file and what it holds (b"" when data is not kept)."""

    offset: int
    length: int
    data: bytes


@dataclass
class ScanCounts:
    """What reading one source found; `corrupt` counts damaged stretches (and, for callers, broken records)."""

    members: int = 0
    corrupt: int = 0
    truncated: bool = False
    bytes_read: int = 0


@dataclass
class _Window:
    """A sliding buffer over the source: `data` holds the bytes from file offset `base` on."""

    stream: BinaryIO
    counts: ScanCounts
    data: bytearray = field(default_factory=bytearray)
    base: int = 0
    eof: bool = False

    def fill(self) -> bool:
        """Read more; False at the end of the source."""
        if self.eof:
            return False
        chunk = self.stream.read(READ_SIZE)
        if not chunk:
            self.eof = True
            return False
        self.data += chunk
        self.counts.bytes_read += len(chunk)
        return True

    def drop(self, upto: int) -> None:
        """Forget bytes before file offset `upto`."""
        del self.data[: upto - self.base]
        self.base = upto


class _CutOff(Exception):
    """The source ends inside a member."""


class _Bad(Exception):
    """Not a valid gzip member, or one longer than the limit (compressed)."""


class _Oversize(Exception):
    """A valid member that inflates past the limit; it ends at `end`."""

    def __init__(self, end: int) -> None:
        super().__init__(end)
        self.end = end


def iter_members(stream: BinaryIO, *, tolerant: bool, counts: ScanCounts | None = None, keep_data: bool = True,
                 max_size: int = MAX_MEMBER_BYTES) -> Iterator[Member]:
    """Complete, CRC-checked gzip members of `stream` from its current position (offsets count from there).

    `keep_data=False` checks members without keeping their bytes (no size limit then: nothing is held).
    """
    counts = counts if counts is not None else ScanCounts()
    window = _Window(stream, counts)
    position = 0
    in_damage = False  # since the last good member: a further false start is the same damage
    while True:
        window.drop(position)
        if not window.data and not window.fill():
            break
        try:
            member = _inflate(window, position, keep_data=keep_data, max_size=max_size)
        except _CutOff:
            if not tolerant:
                raise MemberError(position, "gzip member cut short") from None
            counts.truncated = True
            position = _next_member_start(window, position + 1)
        except _Bad as bad:
            if not tolerant:
                raise MemberError(position, str(bad)) from None
            position = _next_member_start(window, position + 1)
        except _Oversize as oversize:
            if not tolerant:
                raise MemberError(position, f"gzip member inflates past {max_size} bytes") from None
            position = oversize.end  # a complete member: the next one starts right after it
            counts.corrupt += 1
            in_damage = False
            continue
        else:
            counts.members += 1
            counts.truncated = False
            in_damage = False
            position = member.offset + member.length
            yield member
            continue
        counts.corrupt += not in_damage
        in_damage = True
        if position < 0:
            break
    if tolerant and not counts.members:
        raise NotGzipMembersError("no readable gzip member")


def complete_prefix_length(fh: BinaryIO) -> int:
    """Byte length of the longest prefix of `fh` made of complete, CRC-checked gzip members."""
    fh.seek(0)
    end = 0
    try:
        for member in iter_members(fh, tolerant=False, keep_data=False):
            end = member.offset + member.length
    except MemberError:
        pass
    return end


def _inflate(window: _Window, start: int, *, keep_data: bool, max_size: int) -> Member:
    inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer, checked
    output = io.BytesIO()
    inflated = 0
    cursor = start
    while True:
        piece = bytes(window.data[cursor - window.base : cursor - window.base + FEED_SIZE])
        if not piece:
            if not window.fill():
                raise _CutOff
            continue
        try:
            pending = piece
            # Bounded steps: a bomb never inflates in one call. Stop at the member's end: a step that ends it leaves
            # the next member's bytes in unconsumed_tail as well as in unused_data, and feeding them again after the
            # end returns nothing, forever.
            while pending and not inflater.eof:
                out = inflater.decompress(pending, INFLATE_STEP)
                inflated += len(out)
                if keep_data and inflated <= max_size:
                    output.write(out)
                pending = inflater.unconsumed_tail
        except zlib.error as error:
            raise _Bad(f"not a gzip member ({error})") from None
        if inflater.eof:
            end = cursor + len(piece) - len(inflater.unused_data)
            if keep_data and inflated > max_size:
                raise _Oversize(end)
            return Member(start, end - start, output.getvalue() if keep_data else b"")
        cursor += len(piece)
        if cursor - start > max_size:
            raise _Bad(f"gzip member longer than {max_size} bytes compressed")


def _next_member_start(window: _Window, start: int) -> int:
    """File offset of the next gzip header at or after `start`, -1 if there is none."""
    while True:
        found = window.data.find(MEMBER_START, max(0, start - window.base))
        if found >= 0:
            return window.base + found
        keep = max(start, window.base + len(window.data) - len(MEMBER_START) + 1)
        window.drop(min(keep, window.base + len(window.data)))
        start = keep
        if not window.fill():
            return -1
