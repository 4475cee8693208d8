"""WARC/1.1 records for one HTTP exchange, built from plain data (no Scrapy), byte for byte.

The HTTP messages are stored as received, with the only fix-ups WARC.md asks for: one
`Content-Length` equal to the stored body (a differing original kept as `X-Orig-Content-Length`) and
`Transfer-Encoding` renamed to `X-Orig-Transfer-Encoding`, because the HTTP client already removed
the chunking and replay tools would otherwise try to de-chunk or cut the stored body.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from urllib.parse import urlsplit
from uuid import uuid4

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

HeaderList = list[tuple[bytes, bytes]]

DEFAULT_PORTS = {"http": 80, "https": 443}
TRUNCATED_REASONS = ("length", "time", "disconnect", "unspecified")
REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
REVISIT_PROFILES = (REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED)


@dataclass(frozen=True)
class Exchange:
    """One request/response pair as it went over the wire, in plain data."""

    url: str  # the URL fetched, without fragment
    method: str
    request_headers: HeaderList
    request_body: bytes
    status: int
    response_headers: HeaderList  # every value of every header, in received order
    body: bytes  # as received: still content-encoded, never decoded
    protocol: str | None  # as the client reports it: "HTTP/1.1", "HTTP/1.0", "h2"
    ip_address: str | None
    date: datetime  # capture time, timezone-aware
    truncated: str | None = None  # WARC-Truncated reason, one of TRUNCATED_REASONS

    def __post_init__(self) -> None:
        if self.date.tzinfo is None:
            raise ValueError("Exchange.date must be timezone-aware")
        if self.truncated is not None and self.truncated not in TRUNCATED_REASONS:
            raise ValueError(f"unknown WARC-Truncated reason {self.truncated!r}")


class RawHttpHeaders(StatusAndHeaders):
    """HTTP head whose wire bytes are fixed up front.

    warcio re-serializes headers on write and percent-encodes non-ASCII values; an archive must keep
    the bytes the server sent, so the buffer is computed once from bytes and never recomputed.
    """

    def __init__(self, first_line: bytes, headers: HeaderList) -> None:
        protocol, _, rest = first_line.decode("latin-1").partition(" ")
        super().__init__(rest, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers], protocol)
        lines = [first_line] + [k + b": " + v for k, v in headers]
        self.headers_buff = b"\r\n".join(lines) + b"\r\n\r\n"

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        """Keep the wire bytes (warcio calls this before every write)."""


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date in UTC with microseconds (always six digits, so dates sort as strings)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def warc_protocol(protocol: str | None) -> str | None:
    """`WARC-Protocol` value: lower case, as in the IIPC proposal (`http/1.1`, `h2`)."""
    return protocol.lower() if protocol else None


def http_version(protocol: str | None) -> bytes:
    """HTTP version for the stored message; HTTP/2 exchanges are stored in HTTP/1.1 form."""
    if protocol and protocol.upper().startswith("HTTP/1."):
        return protocol.upper().encode("ascii")
    return b"HTTP/1.1"


def request_target(url: str) -> bytes:
    """Origin-form request target, as the client sent it: path (or `/`) plus the query."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target.encode("ascii")


def host_header(url: str) -> bytes:
    """The Host value an HTTP client derives from the URL (default port omitted)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != DEFAULT_PORTS.get(parts.scheme):
        host += f":{parts.port}"
    return host.encode("idna")


def reason_phrase(status: int) -> bytes:
    """Standard reason phrase (clients drop the received one); empty for unregistered codes."""
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


def _named(headers: HeaderList, name: bytes) -> list[bytes]:
    return [v for k, v in headers if k.lower() == name]


def _rename(headers: HeaderList, names: dict[bytes, bytes]) -> HeaderList:
    return [(names.get(k.lower(), k), v) for k, v in headers]


def fix_framing(headers: HeaderList, body_length: int, *, add_when_missing: bool = True) -> HeaderList:
    """Exactly one Content-Length equal to the stored body, no Transfer-Encoding.

    The client removed the chunking, so the stored body is the de-chunked payload: a kept
    `Transfer-Encoding: chunked` or a stale `Content-Length` would make replay misread it.
    """
    length = str(body_length).encode("ascii")
    renames = {b"transfer-encoding": b"X-Orig-Transfer-Encoding"}
    if _named(headers, b"content-length") != [length]:
        renames[b"content-length"] = b"X-Orig-Content-Length"
    fixed = _rename(headers, renames)
    if b"content-length" in renames and (add_when_missing or body_length):
        fixed.append((b"Content-Length", length))
    return fixed


def stored_decoded(headers: HeaderList) -> HeaderList:
    """Headers of a response whose body is stored decoded (a browser hands bodies over decoded, never as
    received): `Content-Encoding` renamed to `X-Orig-Content-Encoding`, so replay does not decode it twice
    (`fix_framing` then makes `Content-Length` the stored length)."""
    return _rename(headers, {b"content-encoding": b"X-Orig-Content-Encoding"})


def response_head(exchange: Exchange) -> RawHttpHeaders:
    """Status line and headers of the stored response."""
    status = str(exchange.status).encode("ascii")
    line = http_version(exchange.protocol) + b" " + status + b" " + reason_phrase(exchange.status)
    return RawHttpHeaders(line, fix_framing(exchange.response_headers, len(exchange.body)))


def request_head(exchange: Exchange) -> RawHttpHeaders:
    """Request line (with the query) and headers, with the Host header the client added."""
    line = exchange.method.upper().encode("ascii") + b" " + request_target(exchange.url) + b" "
    line += http_version(exchange.protocol)
    headers = list(exchange.request_headers)
    if not _named(headers, b"host"):
        headers.insert(0, (b"Host", host_header(exchange.url)))
    # A bodiless request carries no Content-Length on the wire; don't invent one.
    return RawHttpHeaders(line, fix_framing(headers, len(exchange.request_body), add_when_missing=False))


def payload_digest(body: bytes) -> str:
    """`WARC-Payload-Digest` as warcio writes it (SHA-1, base32), known before writing to pick revisit or response."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


@dataclass(frozen=True)
class Revisit:
    """What a revisit record stands in for: an earlier capture (identical payload) or a 304."""

    profile: str  # REVISIT_IDENTICAL or REVISIT_NOT_MODIFIED
    target_uri: str  # WARC-Refers-To-Target-URI
    record_id: str | None = None  # WARC-Refers-To: the earlier response record, when known
    date: str | None = None  # WARC-Refers-To-Date: its WARC-Date, when known


def base_fields(record_type: str, uri: str, date: datetime, warcinfo_id: str) -> dict[str, str]:
    """The fields every record carries, in the conventional order (type, id, URI, date), readable with zcat."""
    return {
        "WARC-Type": record_type,
        "WARC-Record-ID": f"<urn:uuid:{uuid4()}>",
        "WARC-Target-URI": uri,
        "WARC-Date": warc_date(date),
        "WARC-Warcinfo-ID": warcinfo_id,
    }


def revisit_fields(revisit: Revisit, body: bytes) -> dict[str, str]:
    """Revisit fields (WARC.md): profile and the capture referred to; an identical payload is not stored."""
    fields = {"WARC-Profile": revisit.profile}
    if revisit.record_id:
        fields["WARC-Refers-To"] = revisit.record_id
    fields["WARC-Refers-To-Target-URI"] = revisit.target_uri
    if revisit.date:
        fields["WARC-Refers-To-Date"] = revisit.date
    if revisit.profile == REVISIT_IDENTICAL:
        fields["WARC-Payload-Digest"] = payload_digest(body)
        fields["WARC-Truncated"] = "length"  # the HTTP headers are kept, the body is left out
    return fields


def exchange_records(
    builder: RecordBuilder, exchange: Exchange, warcinfo_id: str, revisit: Revisit | None = None
) -> tuple[ArcWarcRecord, ArcWarcRecord]:
    """(response or revisit, request) records, sharing `WARC-Date` and linked by `WARC-Concurrent-To`."""
    record_type = "revisit" if revisit else "response"
    response_fields = base_fields(record_type, exchange.url, exchange.date, warcinfo_id)
    if exchange.ip_address:
        response_fields["WARC-IP-Address"] = exchange.ip_address
    protocol = warc_protocol(exchange.protocol)
    if protocol:
        response_fields["WARC-Protocol"] = protocol
    if revisit:
        response_fields.update(revisit_fields(revisit, exchange.body))
    elif exchange.truncated:
        response_fields["WARC-Truncated"] = exchange.truncated
    body = b"" if revisit else exchange.body
    response = builder.create_warc_record(
        exchange.url,
        record_type,
        payload=BytesIO(body),
        length=len(body),
        warc_headers_dict=response_fields,
        http_headers=response_head(exchange),
    )
    request_fields = base_fields("request", exchange.url, exchange.date, warcinfo_id)
    request_fields["WARC-Concurrent-To"] = response.rec_headers.get_header("WARC-Record-ID")
    request = builder.create_warc_record(
        exchange.url,
        "request",
        payload=BytesIO(exchange.request_body),
        length=len(exchange.request_body),
        warc_headers_dict=request_fields,
        http_headers=request_head(exchange),
    )
    return response, request


def warc_fields(fields: list[tuple[str, str]]) -> bytes:
    """An `application/warc-fields` body: one `name: value` line each (line breaks in values flattened)."""
    lines = [f"{name}: {' '.join(str(value).split())}\r\n" for name, value in fields]
    return "".join(lines).encode("utf-8")


def metadata_record(
    builder: RecordBuilder,
    *,
    uri: str,
    refers_to: str,
    date: datetime,
    warcinfo_id: str,
    payload: bytes,
    content_type: str,
) -> ArcWarcRecord:
    """A `metadata` record about the capture `refers_to` (no payload digest: the writer must not add one)."""
    fields = base_fields("metadata", uri, date, warcinfo_id)
    fields["WARC-Refers-To"] = refers_to
    return builder.create_warc_record(
        uri,
        "metadata",
        payload=BytesIO(payload),
        length=len(payload),
        warc_content_type=content_type,
        warc_headers_dict=fields,
    )
