"""Every capture of a URL, found through the CDXJ indexes beside the archive's WARCs, and its HTTP response.

Records exist for articles only; the CDXJ lists every exchange (homepages, feeds, 404s, redirects), so
`newsarchive show` can answer for any URL the crawl fetched. The index is scanned (one read per CDXJ object):
fine for archives of thousands of WARCs, and the first thing to replace with a lookup service when they grow.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from surt import surt
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeadersParser

from pipelines.days import ALL_DAYS, DayRange
from pipelines.layout import WARC_PREFIX, cdxj_key_for, is_warc_key, key_day
from pipelines.store.base import ObjectStore
from pipelines.warc.codings import content_codings, decodable_codings, decode

REVISIT_MIME = "warc/revisit"


@dataclass(frozen=True)
class IndexedCapture:
    """One CDXJ line: where the capture of a URL is, and what it was."""

    url: str
    captured_at: str  # RFC 3339 UTC, from the 14-digit CDXJ timestamp
    status: int | None
    mime: str | None
    digest: str | None
    key: str
    offset: int
    length: int

    @property
    def is_revisit(self) -> bool:
        return self.mime == REVISIT_MIME

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "revisit": self.is_revisit}


def captures_of(store: ObjectStore, url: str, days: DayRange = ALL_DAYS) -> list[IndexedCapture]:
    """Every capture of `url` in the archive's CDXJ indexes, oldest first (request records left out)."""
    key = surt(url)
    found: list[IndexedCapture] = []
    for obj in store.list(WARC_PREFIX):
        if not is_warc_key(obj.key) or key_day(obj.key) not in days:
            continue
        index = store.head(cdxj_key_for(obj.key))
        if index is None:
            continue
        for line in store.get(index.key).splitlines():
            if line.startswith(key.encode() + b" "):
                capture = _capture(line, obj.key)
                if capture is not None:
                    found.append(capture)
    return sorted(found, key=lambda c: c.captured_at)


def _capture(line: bytes, warc_key: str) -> IndexedCapture | None:
    _, stamp, fields = line.decode("utf-8").split(" ", 2)
    data = json.loads(fields)
    if "offset" not in data or ("status" not in data and data.get("mime") != REVISIT_MIME):
        return None  # request and metadata records have no HTTP status: they are not captures of the URL
    moment = datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    status = data.get("status")
    return IndexedCapture(url=data["url"], captured_at=moment.isoformat().replace("+00:00", "Z"),
                          status=int(status) if status and status.isdigit() else None, mime=data.get("mime"),
                          digest=data.get("digest"), key=warc_key, offset=int(data["offset"]),
                          length=int(data["length"]))


def payload_capture(captures: list[IndexedCapture], capture: IndexedCapture) -> IndexedCapture:
    """The capture holding the payload: itself, or for a revisit the earlier full capture with its digest."""
    if not capture.is_revisit:
        return capture
    originals = [c for c in captures if not c.is_revisit and c.digest == capture.digest
                 and c.captured_at <= capture.captured_at]
    return originals[-1] if originals else capture


def http_response(store: ObjectStore, capture: IndexedCapture) -> bytes:
    """The HTTP response of a capture exactly as archived: status line, headers, body as received."""
    member = store.get(capture.key, start=capture.offset, length=capture.length)
    record = next(iter(ArchiveIterator(BytesIO(member), no_record_parse=True)), None)
    if record is None:
        raise ValueError(f"{capture.key}@{capture.offset}: no WARC record there (the index and the WARC disagree)")
    return bytes(record.raw_stream.read())


def decoded_response(raw: bytes, limit: int) -> tuple[bytes, bytes, str | None]:
    """(head, body, content type) of an archived HTTP response with its content codings undone; the head drops
    `Content-Encoding` for the codings undone and gives the decoded length. Raises ValueError past `limit`."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = StatusAndHeadersParser([], verify=False).parse(BytesIO(head + b"\r\n\r\n"))
    encodings = [value for name, value in headers.headers if name.lower() == "content-encoding"]
    kept, undone = decodable_codings(content_codings(encodings))
    if undone:
        body = decode(body, undone, limit)
    lines = [line for line in head.split(b"\r\n")
             if not line.lower().startswith((b"content-encoding:", b"content-length:"))]
    if kept:
        lines.append(b"Content-Encoding: " + ", ".join(kept).encode())
    lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n", body, headers.get_header("Content-Type")
