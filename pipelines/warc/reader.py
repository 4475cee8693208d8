"""Records from WARC files that are already written: ours (re-extraction) or anyone's (import, e.g. CC-NEWS).

The file is split into gzip members by hand instead of letting warcio walk it, because warcio stops at
the first bad member; here a bad member, a broken record or a cut-off tail is counted and skipped, and
reading resumes at the next gzip header. Each member's offset and length become the record's `warc`
pointer, so a ranged read of the source gives the page back. No network: pages come from the WARC.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator

from pipelines.extract.article import extract_article
from pipelines.extract.classify import classify_page
from pipelines.extract.document import parse_html
from pipelines.records.build import Capture, build_record
from pipelines.store.base import ObjectStore

READ_SIZE = 1024 * 1024
FEED_SIZE = 64 * 1024
MEMBER_START = b"\x1f\x8b\x08"  # gzip magic + deflate
MAX_RECORD_BYTES = 64 * 1024 * 1024  # decompressed; anything bigger is not a news page (or is a zip bomb)


class NotGzipWarcError(ValueError):
    """The source is not a WARC compressed one gzip member per record (so no record can be addressed)."""


@dataclass
class ScanCounts:
    """What reading one source found; `corrupt` counts bad members, broken records and a cut-off tail."""

    members: int = 0
    corrupt: int = 0
    truncated: bool = False
    bytes_read: int = 0


@dataclass(frozen=True)
class Member:
    """One complete gzip member: where it is in the file and what it holds (one WARC record)."""

    offset: int
    length: int
    data: bytes


@dataclass(frozen=True)
class Page:
    """An HTTP response record of a WARC, with its payload decoded as a browser would see it."""

    url: str
    fetched_at: datetime
    status: int
    content_type: str | None
    body: bytes
    record_id: str
    payload_digest: str
    offset: int
    length: int

    def is_html_ok(self) -> bool:
        """A 2xx HTML page: what the crawler's spider would have looked at."""
        return 200 <= self.status < 300 and "html" in (self.content_type or "text/html").lower()


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


def gzip_members(stream: BinaryIO, counts: ScanCounts) -> Iterator[Member]:
    """Complete, CRC-checked gzip members of `stream`; bad ones are counted and skipped."""
    window = _Window(stream, counts)
    window.fill()
    if window.data.startswith(b"WARC/"):
        raise NotGzipWarcError("not a gzip-per-record WARC (recompress it with `warcio recompress IN OUT`)")
    position = 0
    while True:
        window.drop(position)
        if not window.data and not window.fill():
            break
        try:
            member = _inflate_member(window, position)
        except _CutOffError:  # a cut-off tail, or a corrupt member that ran to the end: look for more
            member, counts.truncated = None, True
        if member is None:  # bad data: resume at the next gzip header
            counts.corrupt += 1
            position = _next_member_start(window, position + 1)
            if position < 0:
                break
            continue
        counts.members += 1
        counts.truncated = False
        position = member.offset + member.length
        if len(member.data) <= MAX_RECORD_BYTES:
            yield member
        else:
            counts.corrupt += 1
    if not counts.members:
        raise NotGzipWarcError("no readable gzip member: not a gzip-per-record WARC")


class _CutOffError(Exception):
    """The source ends inside a member."""


def _inflate_member(window: _Window, start: int) -> Member | None:
    """The member starting at file offset `start`; None if it is corrupt or implausibly large (a corrupt
    length would otherwise pull the rest of a 1 GB file into memory); _CutOffError if the source ends in it."""
    inflater = zlib.decompressobj(wbits=31)
    output = io.BytesIO()
    cursor = start
    while True:
        piece = bytes(window.data[cursor - window.base : cursor - window.base + FEED_SIZE])
        if not piece:
            if not window.fill():
                raise _CutOffError
            continue
        try:
            out = inflater.decompress(piece)
        except zlib.error:
            return None
        if output.tell() <= MAX_RECORD_BYTES:
            output.write(out)
        if inflater.eof:
            end = cursor + len(piece) - len(inflater.unused_data)
            return Member(start, end - start, output.getvalue())
        cursor += len(piece)
        if cursor - start > MAX_RECORD_BYTES:
            return None


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


def _digest(raw: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(raw).digest()).decode("ascii")


def parse_date(value: str) -> datetime:
    """A WARC-Date (`2024-05-01T12:30:45Z`, with or without fractions) as an aware datetime."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        raise ValueError(f"WARC-Date without a timezone: {value!r}")
    return moment


def page_from_member(member: Member) -> Page | None:
    """The response page in a member, None for other record types; raises on a broken record."""
    record = next(iter(ArchiveIterator(io.BytesIO(member.data))))
    if record.rec_type != "response" or record.http_headers is None:
        return None
    headers = record.rec_headers
    status = int(record.http_headers.get_statuscode())
    raw = record.raw_stream.read()
    record.raw_stream = io.BytesIO(raw)  # content_stream() then undoes chunking and content-encoding
    return Page(
        url=headers.get_header("WARC-Target-URI").strip("<>"),
        fetched_at=parse_date(headers.get_header("WARC-Date")),
        status=status,
        content_type=record.http_headers.get_header("Content-Type"),
        body=record.content_stream().read(),
        record_id=headers.get_header("WARC-Record-ID"),
        payload_digest=headers.get_header("WARC-Payload-Digest") or _digest(raw),
        offset=member.offset,
        length=member.length,
    )


def read_pages(stream: BinaryIO, counts: ScanCounts) -> Iterator[Page]:
    """Response pages of a WARC stream, in file order; broken records are counted and skipped."""
    for member in gzip_members(stream, counts):
        try:
            page = page_from_member(member)
        except Exception:  # warcio raises many types for bad headers; one bad record never stops a file
            counts.corrupt += 1
            continue
        if page is not None:
            yield page


def page_at(store: ObjectStore, pointer: dict[str, Any]) -> Page | None:
    """The page a record's `warc` pointer addresses, with one ranged read (raises on a broken member)."""
    data = store.get(pointer["key"], start=pointer["offset"], length=pointer["length"])
    return page_from_member(Member(pointer["offset"], len(data), zlib.decompress(data, wbits=31)))


def first_record_date(stream: BinaryIO) -> datetime | None:
    """WARC-Date of the first readable record (names an imported file's records key before the import)."""
    for member in gzip_members(stream, ScanCounts()):
        try:
            record = next(iter(ArchiveIterator(io.BytesIO(member.data))))
            return parse_date(record.rec_headers.get_header("WARC-Date"))
        except Exception:  # a broken first record: try the next one
            continue
    return None


def page_capture(page: Page, *, warc_key: str, site: str, crawl_id: str, discovery: dict[str, Any],
                 article_signals: tuple[str, ...]) -> Capture:
    """The capture facts of a page read from a WARC that no crawl of ours has described (an import)."""
    pointer = {
        "key": warc_key,
        "filename": warc_key.rsplit("/", 1)[-1],
        "offset": page.offset,
        "length": page.length,
        "record_id": page.record_id,
        "payload_digest": page.payload_digest,
    }
    return Capture(url=page.url, requested_url=page.url, fetched_at=page.fetched_at, http_status=page.status,
                   warc=pointer, site=site, crawl_id=crawl_id, discovery=discovery, article_signals=article_signals)


def recorded_capture(record: dict[str, Any], crawl_id: str) -> Capture:
    """The capture facts of an existing record, for rebuilding it: only the crawl knew its site and discovery."""
    return Capture(
        url=record["url"], requested_url=record["requested_url"], fetched_at=parse_date(record["fetched_at"]),
        http_status=record["http_status"], warc=record["warc"], site=record["site"], crawl_id=crawl_id,
        discovery=record["discovery"], article_signals=tuple(record["article_signals"]),
    )


def article_signals(page: Page) -> tuple[str, ...] | None:
    """Why the page is an article (the crawler's classifier, no site patterns), None if it is not one."""
    document = parse_html(page.body, content_type=page.content_type)
    if document is None:
        return None
    is_article, signals = classify_page(document, page.url)
    return tuple(signals) if is_article else None


def page_record(page: Page, capture: Capture) -> dict[str, Any]:
    """The record of an archived page: the current extractor over its payload, plus the capture facts."""
    content = extract_article(page.body, page.url, fetched_at=capture.fetched_at,
                              hints=capture.discovery.get("hints"), content_type=page.content_type)
    return build_record(content, capture)


def site_slug(host: str) -> str:
    """A site name for a host without a sites file: `www.bbc.co.uk` → `bbc-co-uk`."""
    return re.sub(r"[^a-z0-9]+", "-", host.lower().removeprefix("www.")).strip("-") or "unknown"


def open_object(store: ObjectStore, key: str) -> BinaryIO:
    """A buffered stream over a stored object: one ranged read per 8 MiB."""
    return io.BufferedReader(StoreReader(store, key), buffer_size=8 * READ_SIZE)  # type: ignore[return-value]


class StoreReader(io.RawIOBase):
    """A read-only stream over a stored object, fetched in ranged reads (no local copy of a 1 GB WARC)."""

    def __init__(self, store: ObjectStore, key: str) -> None:
        super().__init__()
        self.store, self.key = store, key
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.store.get(self.key, start=self.position, length=len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)
