"""CDXJ index of a WARC written by the rotating writer: every response found at its (offset, length)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.layout import cdxj_key_for
from pipelines.warc.cdxj import write_cdxj
from pipelines.warc.records import Exchange
from pipelines.warc.writer import CaptureRef, RotatingWarcWriter


def exchange(url: str, method: str = "GET", body: bytes = b"") -> Exchange:
    return Exchange(
        url=url,
        method=method,
        request_headers=[(b"Content-Type", b"application/x-www-form-urlencoded")] if body else [],
        request_body=body,
        status=200,
        response_headers=[(b"Content-Type", b"text/html; charset=utf-8")],
        body=b"<html>" + url.encode() + b"</html>",
        protocol="HTTP/1.1",
        ip_address="127.0.0.1",
        date=datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC),
    )


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[CaptureRef]]:
    closed: list[str] = []
    writer = RotatingWarcWriter(tmp_path, host="h", max_size=10**9, warcinfo={"software": "t"}, on_close=closed.append)
    refs = [
        writer.write_exchange(exchange("http://127.0.0.1:9/b?x=1")),
        writer.write_exchange(exchange("http://127.0.0.1:9/a")),
        writer.write_exchange(exchange("http://127.0.0.1:9/search", method="POST", body=b"q=news")),
    ]
    writer.close()
    return tmp_path / closed[0], refs


def test_index_points_at_each_response(written: tuple[Path, list[CaptureRef]]) -> None:
    warc, refs = written
    out = write_cdxj(warc)
    assert out == Path(cdxj_key_for(str(warc))) and out.name == warc.name.removesuffix(".warc.gz") + ".cdxj"
    assert not list(out.parent.glob("*.open"))
    lines = out.read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == len(refs)
    entries = {}
    for line in lines:
        urlkey, timestamp, blob = line.split(" ", 2)
        entry = json.loads(blob)
        assert timestamp == "20240501120000"
        entries[entry["url"]] = (urlkey, entry)
    assert entries["http://127.0.0.1:9/b?x=1"][0] == "1,0,0,127:9)/b?x=1"
    assert entries["http://127.0.0.1:9/search"][0].startswith("1,0,0,127:9)/search?__wb_method=post&q=news")
    for url, ref in zip(
        ["http://127.0.0.1:9/b?x=1", "http://127.0.0.1:9/a", "http://127.0.0.1:9/search"], refs, strict=True
    ):
        entry = entries[url][1]
        assert (int(entry["offset"]), int(entry["length"])) == (ref.offset, ref.length)
        assert entry["filename"] == ref.filename
        assert entry["digest"] == ref.payload_digest
        assert entry["status"] == "200" and entry["mime"] == "text/html"


def test_index_is_write_once(written: tuple[Path, list[CaptureRef]]) -> None:
    warc, _ = written
    write_cdxj(warc)
    with pytest.raises(FileExistsError):
        write_cdxj(warc)


def test_only_warc_gz_files() -> None:
    with pytest.raises(ValueError):
        cdxj_key_for("x.warc")
