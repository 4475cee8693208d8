"""The rotating writer on a real directory, checked with warcio and our lint; the lint on broken files."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.warc.lint import lint_warc
from pipelines.warc.records import REVISIT_IDENTICAL, Exchange
from pipelines.warc.writer import CaptureRef, RotatingWarcWriter

WARCIO = Path(sys.executable).with_name("warcio")
KEY = re.compile(r"warc/\d{4}/\d{2}/\d{2}/NEWSARCHIVE-\d{14}-\d{5}-crawler-1\.warc\.gz")
INFO = {"software": "newsarchive/test", "format": "WARC File Format 1.1", "isPartOf": "crawl-1"}


def exchange(n: int, body: bytes = b"x" * 2000) -> Exchange:
    return Exchange(
        url=f"http://127.0.0.1:9/page/{n}?q={n}",
        method="GET",
        request_headers=[(b"User-Agent", b"t")],
        request_body=b"",
        status=200,
        response_headers=[(b"Content-Type", b"text/plain")],
        body=body,
        protocol="HTTP/1.1",
        ip_address="127.0.0.1",
        date=datetime.now(UTC),
    )


def make_writer(root: Path, closed: list[str], max_size: int = 10**9) -> RotatingWarcWriter:
    return RotatingWarcWriter(root, host="crawler_1", max_size=max_size, warcinfo=INFO, on_close=closed.append)


def read_member(path: Path, ref: CaptureRef) -> tuple:
    """Decompress one (offset, length) slice alone and parse it: the ranged read `show --raw` does."""
    with open(path, "rb") as fh:
        fh.seek(ref.offset)
        member = fh.read(ref.length)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    data = inflater.decompress(member)
    assert inflater.eof and not inflater.unused_data
    records = [(r.rec_headers, r.raw_stream.read()) for r in ArchiveIterator(BytesIO(data))]
    assert len(records) == 1
    return records[0]


def warcio_check(path: Path) -> str:
    result = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_file_life_cycle(tmp_path: Path) -> None:
    closed: list[str] = []
    writer = make_writer(tmp_path, closed)
    refs = [writer.write_exchange(exchange(n, body=bytes([n]) * 100)) for n in range(3)]
    key = refs[0].key
    assert KEY.fullmatch(key), key
    assert (tmp_path / (key + ".open")).exists() and not (tmp_path / key).exists()
    assert closed == []
    writer.close()
    writer.close()  # idempotent
    assert closed == [key]
    assert not list(tmp_path.rglob("*.open"))
    path = tmp_path / key
    assert lint_warc(path) == []
    assert "digest pass" in warcio_check(path)

    records = list(ArchiveIterator(open(path, "rb")))  # noqa: SIM115 (closed with the test)
    info = records[0].rec_headers
    assert info.get_header("WARC-Type") == "warcinfo"
    assert info.get_header("WARC-Filename") == refs[0].filename == key.rsplit("/", 1)[1]
    for n, ref in enumerate(refs):
        warc, body = read_member(path, ref)
        assert warc.get_header("WARC-Type") == "response"
        assert warc.get_header("WARC-Record-ID") == ref.record_id
        assert warc.get_header("WARC-Payload-Digest") == ref.payload_digest
        assert warc.get_header("WARC-Warcinfo-ID") == info.get_header("WARC-Record-ID")
        assert body.endswith(bytes([n]) * 100)
        assert ref.as_dict() == {
            "key": key,
            "filename": ref.filename,
            "offset": ref.offset,
            "length": ref.length,
            "record_id": ref.record_id,
            "payload_digest": ref.payload_digest,
        }


def test_rotation_by_size(tmp_path: Path) -> None:
    closed: list[str] = []
    writer = make_writer(tmp_path, closed, max_size=15_000)
    refs = [writer.write_exchange(exchange(n, body=os.urandom(10_000))) for n in range(6)]
    writer.close()
    keys = sorted({ref.key for ref in refs})
    assert len(keys) >= 3
    assert sorted(closed) == keys
    serials = [int(key.rsplit("/", 1)[1].split("-")[2]) for key in closed]
    assert serials == sorted(serials) and len(set(serials)) == len(serials)
    for key in keys:
        path = tmp_path / key
        assert lint_warc(path) == []
        warcio_check(path)
        first = next(iter(ArchiveIterator(open(path, "rb"))))  # noqa: SIM115
        assert first.rec_headers.get_header("WARC-Type") == "warcinfo"
    for ref in refs:
        assert read_member(tmp_path / ref.key, ref)[0].get_header("WARC-Record-ID") == ref.record_id
    assert not list(tmp_path.rglob("*.open"))


def test_taken_names_are_skipped(tmp_path: Path) -> None:
    """Write-once: an existing file with the next name is never overwritten."""
    closed: list[str] = []
    first = make_writer(tmp_path, closed)
    ref = first.write_exchange(exchange(1))
    second = make_writer(tmp_path, closed)
    other = second.write_exchange(exchange(2))
    assert other.key != ref.key
    first.close()
    second.close()
    assert sorted(closed) == sorted([ref.key, other.key])


# --- the lint on deliberately broken files -------------------------------------------------------


def broken_warc(path: Path, *, bad: str) -> Path:
    """A small WARC written with plain warcio (no fix-ups), with one fault of the kind `bad` names."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        writer.NO_PAYLOAD_DIGEST_TYPES = ("warcinfo", "revisit", "metadata")
        info = writer.create_warcinfo_record(path.name, {"software": "test"})
        info_id = info.rec_headers.get_header("WARC-Record-ID")
        if bad != "no-warcinfo-first":
            writer.write_record(info)
        uri = "http://127.0.0.1:9/a?q=1"
        resp_headers = [("Content-Type", "text/plain"), ("Content-Length", "5")]
        if bad == "chunked":
            resp_headers = [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")]
        if bad == "stale-length":
            resp_headers = [("Content-Type", "text/plain"), ("Content-Length", "99")]
        fields = {"WARC-Warcinfo-ID": info_id} if bad != "no-warcinfo-id" else {}
        resp = writer.create_warc_record(
            uri,
            "response",
            payload=BytesIO(b"hello"),
            length=5,
            warc_headers_dict=dict(fields),
            http_headers=StatusAndHeaders("200 OK", resp_headers, protocol="HTTP/1.1"),
        )
        writer.write_record(resp)
        target = "/a" if bad == "query-lost" else "/a?q=1"
        req = writer.create_warc_record(
            uri,
            "request",
            payload=BytesIO(b""),
            length=0,
            warc_headers_dict={**fields, "WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")},
            http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", "127.0.0.1:9")], is_http_request=True),
        )
        if bad != "no-request":
            writer.write_record(req)
        meta_fields = {**fields, "WARC-Refers-To": resp.rec_headers.get_header("WARC-Record-ID")}
        meta = writer.create_warc_record(
            uri, "metadata", payload=BytesIO(b"via: x\r\n"), length=8, warc_headers_dict=meta_fields
        )
        if bad == "metadata-digest":
            meta.rec_headers.add_header("WARC-Payload-Digest", "sha1:AAAA")
        writer.write_record(meta)
    return path


def test_lint_accepts_the_clean_variant(tmp_path: Path) -> None:
    assert lint_warc(broken_warc(tmp_path / "ok.warc.gz", bad="none")) == []


def test_lint_finds_each_fault(tmp_path: Path) -> None:
    expected = {
        "chunked": "Transfer-Encoding header kept",
        "stale-length": "Content-Length ['99'] but stored body is 5 bytes",
        "query-lost": "query lost",
        "no-request": "response without its request",
        "no-warcinfo-id": "WARC-Warcinfo-ID missing",
        "no-warcinfo-first": "does not start with a warcinfo record",
        "metadata-digest": "metadata record carries a WARC-Payload-Digest",
    }
    for bad, message in expected.items():
        problems = lint_warc(broken_warc(tmp_path / f"{bad}.warc.gz", bad=bad))
        assert any(message in p for p in problems), (bad, problems)


def test_lint_finds_container_faults(tmp_path: Path) -> None:
    good = broken_warc(tmp_path / "good.warc.gz", bad="none")
    data = good.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:-10])
    assert any("cut short" in p for p in lint_warc(cut))

    # The whole file as one gzip member: valid gzip, but records are no longer addressable.
    one_member = tmp_path / "one-member.warc.gz"
    one_member.write_bytes(gzip.compress(b"".join(_members(data))))
    assert any("holds 4 records, not 1" in p for p in lint_warc(one_member))


def _members(data: bytes) -> list[bytes]:
    out, rest = [], data
    while rest:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        out.append(inflater.decompress(rest))
        rest = inflater.unused_data
    return out


def revisit_warc(path: Path, *, profile: str, refers_to: bool, with_request: bool) -> Path:
    """A warcinfo, a revisit written with plain warcio, and (optionally) its request."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        info = writer.create_warcinfo_record(path.name, {"software": "test"})
        writer.write_record(info)
        fields = {"WARC-Warcinfo-ID": info.rec_headers.get_header("WARC-Record-ID")}
        if refers_to:
            fields["WARC-Refers-To"] = "<urn:uuid:00000000-0000-4000-8000-00000000000a>"
        uri = "http://127.0.0.1:9/a"
        revisit = writer.create_revisit_record(
            uri, "sha1:AAAA", uri, "2024-01-01T00:00:00Z", warc_headers_dict=fields,
            http_headers=StatusAndHeaders("200 OK", [("Content-Length", "5")], protocol="HTTP/1.1"))
        revisit.rec_headers.replace_header("WARC-Profile", profile)
        writer.write_record(revisit)
        if with_request:
            writer.write_record(writer.create_warc_record(
                uri, "request", payload=BytesIO(b""), length=0,
                warc_headers_dict={**fields, "WARC-Concurrent-To": revisit.rec_headers.get_header("WARC-Record-ID")},
                http_headers=StatusAndHeaders("GET /a HTTP/1.1", [("Host", "127.0.0.1:9")], is_http_request=True)))
    return path


def test_lint_checks_revisits(tmp_path: Path) -> None:
    ok = {"profile": REVISIT_IDENTICAL, "refers_to": True, "with_request": True}
    assert lint_warc(revisit_warc(tmp_path / "ok.warc.gz", **ok)) == []
    faults = {
        "warcio's 1.0 profile": ({"profile": RecordBuilder.REVISIT_PROFILE}, "unknown WARC-Profile"),
        "no original named": ({"refers_to": False}, "revisit without WARC-Refers-To"),
        "no request": ({"with_request": False}, "revisit without its request"),
    }
    for name, (change, message) in faults.items():
        problems = lint_warc(revisit_warc(tmp_path / f"{len(name)}.warc.gz", **{**ok, **change}))
        assert any(message in p for p in problems), (name, problems)
