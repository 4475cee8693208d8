"""`import` reads what archives really hold (gzip per record, plain `.warc`, whole-file gzip, ARC v1 plain and
gzip per record) into the same records, with worker processes or without, FastWARC or warcio alike."""

import gzip
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.import_bench import CAPTURED, build_warc, demo_pages
from pipelines.store.factory import open_store
from pipelines.store.members import Member, ScanCounts
from pipelines.warc import reader
from pipelines.warc.layouts import GZIP_RECORDS, PLAIN, WHOLE_GZIP, open_layout
from tests.archive_checks import jsonl_gz, warc_records
from tests.conftest import run_cli

PAGES = 6
# What differs by source file or run, not by content: where the capture is, and which run made the record.
PER_SOURCE = ("warc", "capture_id", "discovery", "crawl_id")


def arc_record(url: str, date: str, status: str, content_type: str, body: bytes) -> bytes:
    """One ARC v1 record: `URL IP date type length`, the HTTP response, a newline (the ARC file format 1.0)."""
    http = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    return f"{url} 192.0.2.1 {date} {content_type.split(';')[0]} {len(http)}\n".encode() + http + b"\n"


def arc_records(pages: list[tuple[str, bytes]]) -> list[bytes]:
    """An ARC v1 file's records: the filedesc (version block) first, then the pages and a stylesheet."""
    version = b"1 0 newsarchive-tests\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [f"filedesc://ARC-20240501.arc 0.0.0.0 {CAPTURED:%Y%m%d%H%M%S} text/plain {len(version)}\n".encode()
               + version + b"\n"]
    for n, (url, html) in enumerate(pages):  # dated as build_warc dates the same pages in the WARC layouts
        when = f"{CAPTURED + timedelta(seconds=n):%Y%m%d%H%M%S}"
        records.append(arc_record(url, when, "200 OK", "text/html; charset=utf-8", html))
        records.append(arc_record(f"{url}.css", when, "200 OK", "text/css", b"p{}"))
    return records


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same real pages in every layout import meets (names say which)."""
    root = tmp_path_factory.mktemp("sources")
    pages = demo_pages()[:PAGES]
    per_record = root / "WARC-20240501-gzip-per-record.warc.gz"
    build_warc(per_record, pages)
    plain = gzip.decompress(per_record.read_bytes())
    arcs = arc_records(pages)
    files = {
        "gzip-per-record": per_record,
        "plain": root / "WARC-20240501-plain.warc",
        "whole-gzip": root / "WARC-20240501-whole.warc.gz",
        "arc": root / "ARC-20240501-plain.arc",
        "arc-gz": root / "ARC-20240501-gzip-per-record.arc.gz",
    }
    files["plain"].write_bytes(plain)
    files["whole-gzip"].write_bytes(gzip.compress(plain))
    files["arc"].write_bytes(b"".join(arcs))
    files["arc-gz"].write_bytes(b"".join(gzip.compress(record) for record in arcs))
    return files


def imported(tmp_path: Path, sources: list[Path], workers: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    archive = tmp_path / f"archive-{workers}"
    result = run_cli("import", *map(str, sources), env={
        "ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
        "NEWSARCHIVE_IMPORT_WORKERS": str(workers)})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    store = open_store(str(archive))
    (report,) = [json.loads(store.get(o.key)) for o in store.list("runs/")]
    records = [r for o in store.list("records/") for r in jsonl_gz(store.get(o.key))]
    return report, records


def test_warcio_reads_the_hand_made_arc(sources: dict[str, Path]) -> None:
    views = warc_records(sources["arc"].read_bytes())  # warcio, converting ARC to WARC on the fly
    assert [v.type for v in views] == ["arc_header"] + ["response"] * 2 * PAGES
    assert all(v.http_status == "200" for v in views[1:])


def test_layouts_are_told_apart(sources: dict[str, Path]) -> None:
    expected = {"gzip-per-record": GZIP_RECORDS, "plain": PLAIN, "whole-gzip": WHOLE_GZIP, "arc": PLAIN,
                "arc-gz": GZIP_RECORDS}
    for name, path in sources.items():
        with path.open("rb") as stream:
            assert open_layout(stream)[0] == expected[name], name


def test_every_layout_gives_the_same_records(sources: dict[str, Path], tmp_path: Path) -> None:
    report, records = imported(tmp_path, list(sources.values()))
    assert [s["status"] for s in report["sources"]] == ["imported"] * len(sources)
    assert [s["corrupt"] for s in report["sources"]] == [0] * len(sources)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_source.setdefault(record["discovery"]["source"], []).append(record)
    assert set(by_source) == {str(p) for p in sources.values()}
    content = {source: sorted(({k: v for k, v in r.items() if k not in PER_SOURCE} for r in rs),
                              key=lambda r: r["url"]) for source, rs in by_source.items()}
    reference = content[str(sources["gzip-per-record"])]
    assert len(reference) == PAGES and all(r["word_count"] > 100 for r in reference)
    for source, records_of_source in content.items():
        assert records_of_source == reference, source

    for name, path in sources.items():  # every pointer gives its page back
        data = path.read_bytes()
        stream = gzip.decompress(data) if name == "whole-gzip" else data  # no offset in the file: in the stream
        for record in by_source[str(path)]:
            pointer = record["warc"]
            piece = stream[pointer["offset"] : pointer["offset"] + pointer["length"]]
            member = Member(pointer["offset"], len(piece), gzip.decompress(piece) if name.endswith("-gz") or
                            name == "gzip-per-record" else piece)
            page = reader.page_from_member(member)
            assert page is not None and page.url == record["url"] and page.record_id == pointer["record_id"]
    arc_ids = [r["warc"]["record_id"] for r in by_source[str(sources["arc"])]]
    assert len(set(arc_ids)) == PAGES  # minted per record (ARC has none), the same on every read


def test_workers_write_the_same_records_as_one_process(sources: dict[str, Path], tmp_path: Path) -> None:
    _, alone = imported(tmp_path, [sources["gzip-per-record"]], workers=0)
    report, pooled = imported(tmp_path, [sources["gzip-per-record"]], workers=2)
    assert [{k: v for k, v in r.items() if k != "crawl_id"} for r in pooled] == \
        [{k: v for k, v in r.items() if k != "crawl_id"} for r in alone]
    assert len(pooled) == PAGES and report["counts"]["records"] == PAGES


def test_fastwarc_and_warcio_read_every_record_alike(sources: dict[str, Path]) -> None:
    with sources["gzip-per-record"].open("rb") as stream:
        members = list(reader.warc_members(stream, ScanCounts()))
    assert len(members) == 1 + 2 * (2 * PAGES + PAGES // 2)  # warcinfo; page, stylesheet, every other a 404
    for member in members:
        assert reader._fast_entry(member) == reader._warcio_entry(member)


def test_a_damaged_plain_warc_keeps_its_readable_records(sources: dict[str, Path]) -> None:
    plain = sources["plain"].read_bytes()
    with sources["plain"].open("rb") as stream:
        pages = list(reader.read_pages(stream, ScanCounts()))
    articles = [p for p in pages if p.content_type and p.content_type.startswith("text/html") and p.status == 200]
    first, middle, last = articles[0], articles[len(articles) // 2], articles[-1]
    damaged = bytearray(plain[: last.offset + last.length // 2])  # cut off inside the last article
    damaged[middle.offset : middle.offset + 9] = b"NOT-WARC/"  # a header that is no header: skipped to the next
    damaged[first.offset:first.offset] = b"garbage between records\r\n\r\n"
    counts = ScanCounts()
    found = {p.url for p in reader.read_pages(io.BytesIO(bytes(damaged)), counts)}
    assert {p.url for p in articles} - found == {middle.url, last.url}
    assert counts.truncated and counts.corrupt == 3  # the garbage, the bad header, the cut-off tail
