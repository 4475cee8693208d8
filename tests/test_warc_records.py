"""Record building from plain data: the stored HTTP bytes, framing fix-ups, WARC fields."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from pipelines.warc.lint import lint_warc
from pipelines.warc.records import (
    REVISIT_IDENTICAL,
    REVISIT_NOT_MODIFIED,
    Exchange,
    Revisit,
    exchange_records,
    fix_framing,
    host_header,
    payload_digest,
    request_head,
    request_target,
    response_head,
    warc_date,
    warc_protocol,
)
from pipelines.warc.writer import ArchiveWarcWriter

GZIPPED = gzip.compress(b"<html>hello</html>")
WHEN = datetime(2024, 5, 1, 12, 30, 45, 123456, tzinfo=UTC)


def make_exchange(**changes: object) -> Exchange:
    base = {
        "url": "http://127.0.0.1:8080/news/a?id=7&x=%C3%A9",
        "method": "GET",
        "request_headers": [(b"User-Agent", b"newsarchive/0.1.0"), (b"Accept-Encoding", b"gzip, br")],
        "request_body": b"",
        "status": 200,
        "response_headers": [
            (b"Content-Type", b"text/html; charset=utf-8"),
            (b"Content-Encoding", b"gzip"),
            (b"Set-Cookie", b"a=1; Path=/"),
            (b"Set-Cookie", b"b=2; Path=/"),
            (b"Content-Disposition", 'attachment; filename="caf\u00e9.txt"'.encode()),
        ],
        "body": GZIPPED,
        "protocol": "HTTP/1.1",
        "ip_address": "127.0.0.1",
        "date": WHEN,
    }
    base.update(changes)
    return Exchange(**base)  # type: ignore[arg-type]


def write_and_read(exchange: Exchange) -> list:
    """Write the pair with warcio and read it back: what replay tools will see."""
    buf = BytesIO()
    writer = WARCWriter(buf, gzip=True, warc_version="1.1")
    for record in exchange_records(writer, exchange, "<urn:uuid:00000000-0000-4000-8000-000000000000>"):
        writer.write_record(record)
    buf.seek(0)
    out = []
    for record in ArchiveIterator(buf):
        out.append((record.rec_headers, record.http_headers, record.raw_stream.read()))
    return out


def test_request_target_keeps_query_and_defaults_path() -> None:
    assert request_target("http://h/a/b?x=1&y=%20") == b"/a/b?x=1&y=%20"
    assert request_target("https://h") == b"/"
    assert request_target("https://h/p;params?q") == b"/p;params?q"


def test_host_header_omits_default_ports() -> None:
    assert host_header("http://example.org:80/") == b"example.org"
    assert host_header("https://example.org:8443/") == b"example.org:8443"
    assert host_header("http://[::1]:8080/") == b"[::1]:8080"


def test_warc_date_is_utc_with_microseconds() -> None:
    assert warc_date(WHEN) == "2024-05-01T12:30:45.123456Z"
    plus2 = WHEN.astimezone(timezone(timedelta(hours=2))).replace(microsecond=0)
    assert warc_date(plus2) == "2024-05-01T12:30:45.000000Z"


def test_naive_dates_are_refused() -> None:
    with pytest.raises(ValueError):
        make_exchange(date=datetime(2024, 1, 1))


def test_warc_protocol() -> None:
    assert warc_protocol("HTTP/1.1") == "http/1.1"
    assert warc_protocol("h2") == "h2"
    assert warc_protocol(None) is None


def test_framing_chunked_gets_one_content_length() -> None:
    fixed = fix_framing([(b"Transfer-Encoding", b"chunked"), (b"X", b"y")], 11)
    assert fixed == [(b"X-Orig-Transfer-Encoding", b"chunked"), (b"X", b"y"), (b"Content-Length", b"11")]


def test_framing_keeps_matching_and_renames_stale_content_length() -> None:
    assert fix_framing([(b"Content-Length", b"5")], 5) == [(b"Content-Length", b"5")]
    assert fix_framing([(b"content-length", b"900")], 5) == [
        (b"X-Orig-Content-Length", b"900"),
        (b"Content-Length", b"5"),
    ]


def test_response_head_bytes() -> None:
    head = response_head(make_exchange())
    assert head.headers_buff.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n")
    assert b"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n" in head.headers_buff
    assert 'filename="caf\u00e9.txt"'.encode() in head.headers_buff  # raw bytes, not %-encoded
    assert head.headers_buff.endswith(f"Content-Length: {len(GZIPPED)}\r\n\r\n".encode())


def test_unregistered_status_has_empty_reason() -> None:
    assert response_head(make_exchange(status=599)).headers_buff.startswith(b"HTTP/1.1 599 \r\n")


def test_request_head_adds_host_and_body_length() -> None:
    head = request_head(make_exchange(method="post", request_body=b"q=1"))
    assert head.headers_buff.startswith(
        b"POST /news/a?id=7&x=%C3%A9 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: newsarchive/0.1.0\r\n"
    )
    assert head.headers_buff.endswith(b"Content-Length: 3\r\n\r\n")
    assert b"Content-Length" not in request_head(make_exchange()).headers_buff


def test_h2_is_stored_in_http11_form() -> None:
    exchange = make_exchange(protocol="h2")
    assert response_head(exchange).headers_buff.startswith(b"HTTP/1.1 200 OK\r\n")
    (resp_warc, _, _), _ = write_and_read(exchange)
    assert resp_warc.get_header("WARC-Protocol") == "h2"


def test_records_round_trip_byte_for_byte() -> None:
    exchange = make_exchange(truncated="disconnect")
    (resp_warc, resp_http, body), (req_warc, req_http, req_body) = write_and_read(exchange)
    assert resp_warc.get_header("WARC-Type") == "response"
    assert req_warc.get_header("WARC-Type") == "request"
    assert req_warc.get_header("WARC-Concurrent-To") == resp_warc.get_header("WARC-Record-ID")
    for warc in (resp_warc, req_warc):
        assert warc.protocol == "WARC/1.1"
        assert warc.get_header("WARC-Date") == "2024-05-01T12:30:45.123456Z"
        assert warc.get_header("WARC-Target-URI") == exchange.url
        assert warc.get_header("WARC-Warcinfo-ID") == "<urn:uuid:00000000-0000-4000-8000-000000000000>"
    assert resp_warc.get_header("WARC-IP-Address") == "127.0.0.1"
    assert resp_warc.get_header("WARC-Protocol") == "http/1.1"
    assert resp_warc.get_header("WARC-Truncated") == "disconnect"
    assert body == GZIPPED  # still gzip: never decoded
    assert resp_http.get_header("Content-Encoding") == "gzip"
    assert [v for k, v in resp_http.headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2; Path=/"]
    assert f"{req_http.protocol} {req_http.statusline}" == "GET /news/a?id=7&x=%C3%A9 HTTP/1.1"
    assert req_body == b""


def test_binary_body_is_stored_as_is() -> None:
    blob = bytes(range(256)) * 3
    exchange = make_exchange(response_headers=[(b"Content-Type", b"application/octet-stream")], body=blob)
    (_, _, body), _ = write_and_read(exchange)
    assert body == blob


def write_to_file(tmp_path: Path, exchange: Exchange, revisit: Revisit | None) -> Path:
    path = tmp_path / "one.warc.gz"
    with path.open("wb") as fh:
        writer = ArchiveWarcWriter(fh, gzip=True, warc_version="1.1")
        info = writer.create_warcinfo_record(path.name, {"software": "test"})
        writer.write_record(info)
        info_id = info.rec_headers.get_header("WARC-Record-ID")
        for record in exchange_records(writer, exchange, info_id, revisit):
            writer.write_record(record)
    return path


def test_identical_payload_revisit_keeps_headers_and_drops_the_body(tmp_path: Path) -> None:
    original = "<urn:uuid:00000000-0000-4000-8000-00000000000a>"
    revisit = Revisit(REVISIT_IDENTICAL, "http://127.0.0.1:8080/news/a?id=7&x=%C3%A9", original,
                      "2024-04-01T00:00:00.000000Z")
    path = write_to_file(tmp_path, make_exchange(), revisit)
    assert lint_warc(path) == []
    with path.open("rb") as fh:
        _, (warc, http, body), (request, _, _) = [
            (r.rec_headers, r.http_headers, r.raw_stream.read()) for r in ArchiveIterator(fh)]
    assert warc.get_header("WARC-Type") == "revisit" and body == b""
    assert warc.get_header("WARC-Profile") == REVISIT_IDENTICAL
    assert warc.get_header("WARC-Refers-To") == original
    assert warc.get_header("WARC-Refers-To-Date") == "2024-04-01T00:00:00.000000Z"
    assert warc.get_header("WARC-Payload-Digest") == payload_digest(GZIPPED)
    assert warc.get_header("WARC-Truncated") == "length"
    assert http.get_header("Content-Length") == str(len(GZIPPED)), "the original's length, for replay"
    assert request.get_header("WARC-Concurrent-To") == warc.get_header("WARC-Record-ID")


def test_not_modified_revisit_needs_no_original(tmp_path: Path) -> None:
    exchange = make_exchange(status=304, body=b"", response_headers=[(b"ETag", b'"v1"')],
                             request_headers=[(b"If-None-Match", b'"v1"')])
    path = write_to_file(tmp_path, exchange, Revisit(REVISIT_NOT_MODIFIED, exchange.url))
    assert lint_warc(path) == []
    with path.open("rb") as fh:
        (warc, http) = [(r.rec_headers, r.http_headers) for r in ArchiveIterator(fh)][1]
    assert warc.get_header("WARC-Profile") == REVISIT_NOT_MODIFIED
    assert warc.get_header("WARC-Payload-Digest") is None and warc.get_header("WARC-Truncated") is None
    assert http.get_statuscode() == "304"


def test_payload_digest_matches_what_warcio_writes() -> None:
    ((warc, _, _), _) = write_and_read(make_exchange())
    assert warc.get_header("WARC-Payload-Digest") == payload_digest(GZIPPED)
