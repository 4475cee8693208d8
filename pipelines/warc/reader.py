"""Pages from archive files that are already written: ours (re-extraction) or anyone's (import, e.g. CC-NEWS).

The file's layout (pipelines.warc.layouts) decides how its records are cut out: gzip members split by
pipelines.store.members (a bad member is counted and skipped, reading resumes at the next gzip header), or
records back to back in a plain or decompressed stream. Each record's offset and length become the record's
`warc` pointer. A record is parsed with FastWARC (about 25x faster than warcio here); warcio reads what
FastWARC cannot: ARC records, and records whose HTTP part FastWARC does not parse (warcio then decides
whether the record is broken, so both readers give the same pages).
"""

from __future__ import annotations

import io
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from fastwarc.warc import WarcRecord, WarcRecordType
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader

from pipelines.records.types import WarcPointer
from pipelines.store.base import ObjectStore
from pipelines.store.members import GZIP_MAGIC, Member, NotGzipMembersError, ScanCounts, iter_members
from pipelines.warc.codings import UndecodableBody, content_codings, decodable_codings, decode
from pipelines.warc.layouts import GZIP_RECORDS, NotAnArchiveError, open_layout, plain_records
from pipelines.warc.records import payload_digest

MAX_PAGE_BYTES = 50 * 1024 * 1024  # decoded: the crawl's DECODED_MAX_SIZE default; a bomb is not a page


def warc_members(stream: BinaryIO, counts: ScanCounts) -> Iterator[Member]:
    """The gzip members of a file someone wrote, tolerantly: bad members are counted and skipped."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[type-var]
    try:
        yield from iter_members(buffered, tolerant=True, counts=counts)
    except NotGzipMembersError:
        raise NotAnArchiveError("no readable gzip member") from None


def archive_records(stream: BinaryIO, counts: ScanCounts) -> Iterator[Member]:
    """The records of a WARC or ARC file in any layout, each with the offset and length that address it."""
    layout, readable = open_layout(stream)
    if layout == GZIP_RECORDS:
        yield from warc_members(readable, counts)
        return
    try:
        yield from plain_records(readable, counts)
    except (OSError, EOFError, zlib.error):  # a whole-file gzip damaged or cut off: the rest is unreadable
        counts.corrupt += 1
        counts.truncated = True
    if not counts.members:
        raise NotAnArchiveError("no readable WARC or ARC record")


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


def header(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, by case-insensitive name (as warcio's get_header)."""
    return next((value for key, value in pairs if key.lower() == name), None)


def browser_body(raw: bytes, http_headers: list[tuple[str, str]]) -> bytes:
    """The payload as a browser sees it: de-chunked if a foreign WARC kept the chunking, content codings undone up to
    MAX_PAGE_BYTES (DecodedTooLarge past that). Not the readers' own decoding: warcio's br decoder needs brotlipy,
    it passes zstd through, and it inflates a bomb whole. A body that does not decode is taken as it is (as warcio
    does: the header was wrong)."""
    if (header(http_headers, "transfer-encoding") or "").lower() == "chunked":
        raw = ChunkedDataReader(io.BytesIO(raw)).read()
    kept, undo = decodable_codings(content_codings(
        value for name, value in http_headers if name.lower() == "content-encoding"))
    if kept or not undo:
        return raw
    try:
        return decode(raw, undo, MAX_PAGE_BYTES)
    except UndecodableBody:
        return raw


@dataclass(frozen=True)
class Entry:
    """One parsed record: its date, and its page when it is an HTTP response."""

    date: datetime
    page: Page | None


def _page(member: Member, url: str, date: datetime, status: int, http_headers: list[tuple[str, str]], raw: bytes,
          record_id: str, digest: str | None) -> Page:
    return Page(
        url=url, fetched_at=date, status=status, content_type=header(http_headers, "content-type"),
        body=browser_body(raw, http_headers), record_id=record_id, payload_digest=digest or payload_digest(raw),
        offset=member.offset, length=member.length,
    )


def _fast_entry(member: Member) -> Entry | None:
    """The record parsed by FastWARC; None when warcio must read it (its HTTP part did not parse)."""
    record = WarcRecord.from_bytes(member.data)
    date = parse_date(record.headers.get("WARC-Date") or "")
    if record.record_type != WarcRecordType.response:
        return Entry(date, None)
    record.parse_http(auto_decode="none")
    http = record.http_headers
    if http is None or http.status_code is None:
        return None
    # warcio's spelling of the target URI: without the <> of Wget 1.19, spaces percent-encoded
    url = (record.headers.get("WARC-Target-URI") or "").strip().strip("<>").replace(" ", "%20")
    pairs = [(name, value.strip()) for name, value in http.astuples()]
    return Entry(date, _page(member, url, date, int(http.status_code), pairs, record.reader.read(),
                             (record.headers.get("WARC-Record-ID") or "").strip(),
                             (record.headers.get("WARC-Payload-Digest") or "").strip() or None))


def _warcio_entry(member: Member) -> Entry:
    """The record parsed by warcio (ARC records converted to WARC ones); raises on a broken record."""
    record = next(iter(ArchiveIterator(io.BytesIO(member.data), arc2warc=True)))
    headers = record.rec_headers
    date = parse_date(headers.get_header("WARC-Date"))
    if record.rec_type != "response" or record.http_headers is None:
        return Entry(date, None)
    record_id = headers.get_header("WARC-Record-ID")
    if not member.data.startswith(b"WARC/"):  # ARC: warcio mints a random id; a stable one keeps re-imports equal
        first_line = member.data.split(b"\n", 1)[0].decode("latin-1")
        record_id = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{member.offset} {first_line}')}>"
    return Entry(date, _page(member, headers.get_header("WARC-Target-URI").strip("<>"), date,
                             int(record.http_headers.get_statuscode()), list(record.http_headers.headers),
                             record.raw_stream.read(), record_id, headers.get_header("WARC-Payload-Digest")))


def parse_record(member: Member) -> Entry:
    """The record in a member (or a plain record's bytes); raises on a broken record."""
    if member.data.startswith(b"WARC/"):
        try:
            entry = _fast_entry(member)
        except (OSError, ValueError):
            entry = None  # warcio decides: it reads more than FastWARC, and raises on what is really broken
        if entry is not None:
            return entry
    return _warcio_entry(member)


def page_from_member(member: Member) -> Page | None:
    """The response page in a member, None for other record types; raises on a broken record."""
    return parse_record(member).page


def read_entries(stream: BinaryIO, counts: ScanCounts) -> Iterator[Entry]:
    """Parsed records of an archive stream, in file order; broken records are counted and skipped."""
    for member in archive_records(stream, counts):
        try:
            yield parse_record(member)
        except Exception:  # the readers raise many types for bad headers; one bad record never stops a file
            counts.corrupt += 1


def read_pages(stream: BinaryIO, counts: ScanCounts) -> Iterator[Page]:
    """Response pages of an archive stream, in file order; broken records are counted and skipped."""
    return (entry.page for entry in read_entries(stream, counts) if entry.page is not None)


def page_at(store: ObjectStore, pointer: WarcPointer) -> Page | None:
    """The page a record's `warc` pointer addresses, with one ranged read (raises on a broken record)."""
    data = store.get(pointer["key"], start=pointer["offset"], length=pointer["length"])
    record = zlib.decompress(data, wbits=31) if data.startswith(GZIP_MAGIC) else data
    return page_from_member(Member(pointer["offset"], len(data), record))


def first_record_date(stream: BinaryIO) -> datetime | None:
    """Date of the first readable record (names an imported file's records key before the import)."""
    return next((entry.date for entry in read_entries(stream, ScanCounts())), None)
