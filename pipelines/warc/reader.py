"""Pages from WARC files that are already written: ours (re-extraction) or anyone's (import, e.g. CC-NEWS).

The file is split into gzip members by pipelines.store.members instead of letting warcio walk it, because
warcio stops at the first bad member; here a bad member, a broken record or a cut-off tail is counted and
skipped, and reading resumes at the next gzip header. Each member's offset and length become the record's
`warc` pointer, so a ranged read of the source gives the page back.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders

from pipelines.records.types import WarcPointer
from pipelines.store.base import ObjectStore
from pipelines.store.members import Member, NotGzipMembersError, ScanCounts, iter_members
from pipelines.warc.codings import UndecodableBody, content_codings, decodable_codings, decode
from pipelines.warc.records import payload_digest

MAX_PAGE_BYTES = 50 * 1024 * 1024  # decoded: the crawl's DECODED_MAX_SIZE default; a bomb is not a page


class NotGzipWarcError(ValueError):
    """The source is not a WARC compressed one gzip member per record (so no record can be addressed)."""


def warc_members(stream: BinaryIO, counts: ScanCounts) -> Iterator[Member]:
    """The gzip members of a WARC someone wrote, tolerantly: bad members are counted and skipped."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[type-var]
    if buffered.peek(5)[:5].startswith(b"WARC/"):
        raise NotGzipWarcError("not a gzip-per-record WARC (recompress it with `warcio recompress IN OUT`)")
    try:
        yield from iter_members(buffered, tolerant=True, counts=counts)
    except NotGzipMembersError:
        raise NotGzipWarcError("no readable gzip member: not a gzip-per-record WARC") from None


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


def parse_date(value: str) -> datetime:
    """A WARC-Date (`2024-05-01T12:30:45Z`, with or without fractions) as an aware datetime."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        raise ValueError(f"WARC-Date without a timezone: {value!r}")
    return moment


def browser_body(raw: bytes, http_headers: StatusAndHeaders) -> bytes:
    """The payload as a browser sees it: de-chunked if a foreign WARC kept the chunking, content codings undone up to
    MAX_PAGE_BYTES (DecodedTooLarge past that). Not warcio's content_stream(): its br decoder needs brotlipy, it
    passes zstd through, and it inflates a bomb whole. A body that does not decode is taken as it is (as warcio
    does: the header was wrong)."""
    if (http_headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
        raw = ChunkedDataReader(io.BytesIO(raw)).read()
    kept, undo = decodable_codings(content_codings(
        value for name, value in http_headers.headers if name.lower() == "content-encoding"))
    if kept or not undo:
        return raw
    try:
        return decode(raw, undo, MAX_PAGE_BYTES)
    except UndecodableBody:
        return raw


def page_from_member(member: Member) -> Page | None:
    """The response page in a member, None for other record types; raises on a broken record."""
    record = next(iter(ArchiveIterator(io.BytesIO(member.data))))
    if record.rec_type != "response" or record.http_headers is None:
        return None
    headers = record.rec_headers
    status = int(record.http_headers.get_statuscode())
    raw = record.raw_stream.read()
    return Page(
        url=headers.get_header("WARC-Target-URI").strip("<>"),
        fetched_at=parse_date(headers.get_header("WARC-Date")),
        status=status,
        content_type=record.http_headers.get_header("Content-Type"),
        body=browser_body(raw, record.http_headers),
        record_id=headers.get_header("WARC-Record-ID"),
        payload_digest=headers.get_header("WARC-Payload-Digest") or payload_digest(raw),
        offset=member.offset,
        length=member.length,
    )


def read_pages(stream: BinaryIO, counts: ScanCounts) -> Iterator[Page]:
    """Response pages of a WARC stream, in file order; broken records are counted and skipped."""
    for member in warc_members(stream, counts):
        try:
            page = page_from_member(member)
        except Exception:  # warcio raises many types for bad headers; one bad record never stops a file
            counts.corrupt += 1
            continue
        if page is not None:
            yield page


def page_at(store: ObjectStore, pointer: WarcPointer) -> Page | None:
    """The page a record's `warc` pointer addresses, with one ranged read (raises on a broken member)."""
    data = store.get(pointer["key"], start=pointer["offset"], length=pointer["length"])
    return page_from_member(Member(pointer["offset"], len(data), zlib.decompress(data, wbits=31)))


def first_record_date(stream: BinaryIO) -> datetime | None:
    """WARC-Date of the first readable record (names an imported file's records key before the import)."""
    for member in warc_members(stream, ScanCounts()):
        try:
            record = next(iter(ArchiveIterator(io.BytesIO(member.data))))
            return parse_date(record.rec_headers.get_header("WARC-Date"))
        except Exception:  # a broken first record: try the next one
            continue
    return None
