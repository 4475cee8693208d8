"""`newsarchive import`: records from existing WARCs (a real demo crawl's WARC), local and S3, corrupt input."""

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.records.build import validate_record
from pipelines.store.base import sha256_file
from pipelines.store.factory import open_store
from pipelines.store.members import ScanCounts
from pipelines.warc.layouts import NotAnArchiveError
from pipelines.warc.reader import warc_members
from tests.archive_checks import jsonl_gz, warc_records
from tests.conftest import run_cli
from tests.s3_server import create_bucket, moto_s3_server


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A demo crawl: its WARC file (the import source) and the records the crawl made of it."""
    root = tmp_path_factory.mktemp("crawl")
    result = run_cli("demo", env={"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool")})
    assert result.returncode == 0, result.stderr[-3000:]
    (warc,) = (root / "archive").rglob("*.warc.gz")
    records = [r for path in (root / "archive").rglob("*.jsonl.gz") for r in jsonl_gz(path.read_bytes())]
    (report,) = (root / "archive" / "runs").iterdir()
    return {"warc": warc, "records": {r["url"]: r for r in records}, "counts": json.loads(report.read_text())["counts"]}


def import_into(archive: str, spool: Path, *args: str) -> tuple[Any, dict[str, Any] | None, list[dict[str, Any]]]:
    """Run `newsarchive import ARGS` → (process, its run report, all records) as the archive holds them."""
    store = open_store(archive)
    before = {o.key for o in store.list("runs/")}
    result = run_cli("import", *args, env={"ARCHIVE_URI": archive, "NEWSARCHIVE_SPOOL": str(spool)})
    keys = [o.key for o in store.list("")]
    reports = [json.loads(store.get(k)) for k in keys if k.startswith("runs/") and k not in before]
    records = [r for k in keys if k.endswith(".jsonl.gz") for r in jsonl_gz(store.get(k))]
    return result, (reports[0] if reports else None), records


def check_schema(record: dict[str, Any]) -> None:
    """Schema-valid, with `warc.key` naming the source WARC (an s3:// URI or an absolute path)."""
    validate_record(record)


def test_import_finds_the_crawls_articles_at_the_same_offsets(crawled: dict[str, Any], tmp_path: Path) -> None:
    result, report, records = import_into(str(tmp_path / "archive"), tmp_path / "spool", str(crawled["warc"]))
    assert result.returncode == 0, result.stderr[-3000:]
    by_url = {r["url"]: r for r in records}
    assert by_url.keys() == crawled["records"].keys()
    source = crawled["warc"].read_bytes()
    for url, record in by_url.items():
        check_schema(record)
        before = crawled["records"][url]
        same = ("filename", "offset", "length", "record_id", "payload_digest")
        assert {k: record["warc"][k] for k in same} == {k: before["warc"][k] for k in same}
        assert record["warc"]["key"] == str(crawled["warc"])
        assert record["discovery"] == {"via": "import", "source": str(crawled["warc"]), "hints": {}}
        assert record["site"] == "127-0-0-1"
        assert (record["title"], record["text"]) == (before["title"], before["text"])
        pointer = record["warc"]
        (view,) = warc_records(source[pointer["offset"] : pointer["offset"] + pointer["length"]])
        assert view.uri == url
    assert report is not None and report["command"] == "import" and report["exit_reason"] == "finished"
    assert report["counts"]["records"] == len(records)
    assert report["per_site"]["127-0-0-1"]["records"] == len(records)
    assert report["per_site"]["127-0-0-1"]["coverage"]["text"] == 1.0
    # The responses it read, by status class as the crawl counted them when it archived them (status shows these)
    classes = ("responses", "responses_2xx", "responses_3xx", "responses_4xx", "responses_5xx")
    assert {k: report["counts"][k] for k in classes} == {k: crawled["counts"][k] for k in classes}
    site = report["per_site"]["127-0-0-1"]
    assert site["fetched"] == sum(site[k] for k in classes[1:]) == report["counts"]["responses"]
    (source_line,) = report["sources"]
    assert source_line["status"] == "imported" and source_line["corrupt"] == 0
    assert source_line["records_key"].endswith(f"/{crawled['warc'].name.removesuffix('.warc.gz')}.jsonl.gz")
    assert {o["key"] for o in report["objects"]} == {source_line["records_key"]}
    assert not list((tmp_path / "spool").rglob("*.jsonl.gz"))


def test_a_second_import_skips_the_file(crawled: dict[str, Any], tmp_path: Path) -> None:
    archive = str(tmp_path / "archive")
    import_into(archive, tmp_path / "spool", str(crawled["warc"]))
    result, report, records = import_into(archive, tmp_path / "spool", str(crawled["warc"]))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipped:" in result.stdout
    assert report is not None and report["sources"][0]["status"] == "skipped" and report["objects"] == []
    assert len(records) == len(crawled["records"])  # the first import's file, once


def test_filters_by_host_and_day(crawled: dict[str, Any], tmp_path: Path) -> None:
    _, _, records = import_into(str(tmp_path / "a"), tmp_path / "spool", str(crawled["warc"]), "--host", "example.org")
    assert records == []
    _, _, records = import_into(str(tmp_path / "b"), tmp_path / "spool", str(crawled["warc"]), "--to", "2001-01-01")
    assert records == []
    result, _, records = import_into(str(tmp_path / "c"), tmp_path / "spool", str(crawled["warc"]),
                                     "--host", "127.0.0.1", "--from", "2001-01-01", "--site", "demo")
    assert result.returncode == 0 and len(records) == len(crawled["records"])
    assert {r["site"] for r in records} == {"demo"}


def raw_response(uri: str, http: bytes) -> bytes:
    """One gzip member holding a response record whose HTTP part is `http`, as is (warcio would refuse it)."""
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
            f"WARC-Date: 2024-05-01T00:00:00Z\r\nWARC-Target-URI: {uri}\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n")
    return gzip.compress(head.encode() + http + b"\r\n\r\n")


def test_corrupt_members_and_a_cut_off_tail_are_skipped(crawled: dict[str, Any], tmp_path: Path) -> None:
    source = crawled["warc"].read_bytes()
    members = []
    iterator = ArchiveIterator(io.BytesIO(source))
    for record in iterator:
        uri = record.rec_headers.get_header("WARC-Target-URI")
        record.content_stream().read()
        members.append((uri, iterator.get_record_offset(), iterator.get_record_length()))
    articles = [m for m in members if m[0] in crawled["records"] and crawled["records"][m[0]]["warc"]["offset"] == m[1]]
    damaged, last = articles[len(articles) // 2], articles[-1]
    start, length = damaged[1], damaged[2]
    corrupted = bytearray(source[: last[1] + last[2] // 2])  # cut off in the middle of the last article
    corrupted[start + length // 2 : start + length // 2 + 64] = b"\x00" * 64
    bad_http = raw_response("http://127.0.0.1/broken", b"NOT-HTTP \x00\xff\r\n\r\n<p>x")
    path = tmp_path / "CC-NEWS-20240501000000-00001.warc.gz"
    path.write_bytes(source[:start] + bad_http + bytes(corrupted[start:]))

    result, report, records = import_into(str(tmp_path / "archive"), tmp_path / "spool", str(path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert {r["url"] for r in records} == set(crawled["records"]) - {damaged[0], last[0]}
    (line,) = report["sources"]
    assert line["status"] == "imported" and line["truncated"] is True
    assert line["corrupt"] == 3  # the zeroed member, the bad HTTP record, the cut-off tail
    assert report["counts"]["errors"] == 3
    shift = len(bad_http)
    for record in records:  # pointers after the inserted member moved with it
        before = crawled["records"][record["url"]]["warc"]["offset"]
        assert record["warc"]["offset"] == before + (shift if before >= start else 0)


def test_bad_sources_fail_alone(crawled: dict[str, Any], tmp_path: Path) -> None:
    plain = tmp_path / "plain.warc"
    plain.write_bytes(b"WARC/1.0\r\n")
    missing = str(tmp_path / "missing.warc.gz")
    result, report, records = import_into(str(tmp_path / "archive"), tmp_path / "spool", missing, str(plain),
                                          str(crawled["warc"]))
    assert result.returncode == 1
    assert [s["status"] for s in report["sources"]] == ["failed", "failed", "imported"]
    assert report["sources"][1]["error"] == "no readable WARC or ARC record"  # a plain WARC cut off in its header
    assert len(records) == len(crawled["records"])


def test_a_non_warc_is_one_error_line(tmp_path: Path) -> None:
    """A file that is no WARC: its error once, on stderr (the log line), counted by the summary; with --json the
    JSON document is all of stdout."""
    page = tmp_path / "page.html"
    page.write_text("<html><body>not a WARC</body></html>")
    result, report, _ = import_into(str(tmp_path / "archive"), tmp_path / "spool", str(page))
    assert result.returncode == 1 and report is not None and report["counts"]["errors"] == 1
    said = [line for line in (result.stdout + result.stderr).splitlines() if "page.html" in line]
    assert said == [f"ERROR import of {page} failed: not a WARC or ARC file: it starts with neither `WARC/`, "
                    "`filedesc://` nor a gzip header"], result.stdout + result.stderr
    assert "1 corrupt or failed" in result.stdout
    as_json = run_cli("import", str(page), "--json", env={"ARCHIVE_URI": str(tmp_path / "other"),
                                                          "NEWSARCHIVE_SPOOL": str(tmp_path / "spool")})
    assert as_json.returncode == 1
    document = json.loads(as_json.stdout)
    assert document["exit_code"] == 1 and document["report"]["sources"][0]["status"] == "failed"
    assert [line for line in as_json.stderr.splitlines() if "page.html" in line] == said


def test_only_missing_files_is_not_found_and_no_run(tmp_path: Path) -> None:
    """Nothing to import at all: exit 4, as `warc verify` and `extract` of a missing file, one line, no run report."""
    archive = tmp_path / "archive"
    missing = [str(tmp_path / "a.warc.gz"), str(tmp_path / "b.warc.gz")]
    result, report, records = import_into(str(archive), tmp_path / "spool", *missing)
    assert result.returncode == 4
    assert result.stderr == f"newsarchive: no such file: {missing[0]} (nor the 1 other sources)\n"
    assert report is None and records == [] and result.stdout == ""


def test_import_from_s3_into_s3(crawled: dict[str, Any], tmp_path: Path) -> None:
    with moto_s3_server() as endpoint:
        source_bucket, archive_bucket = create_bucket(endpoint), create_bucket(endpoint)
        key = "crawl-data/CC-NEWS/2024/05/" + crawled["warc"].name
        open_store(f"s3://{source_bucket}").put_file(key, crawled["warc"], sha256=sha256_file(crawled["warc"]))
        uri = f"s3://{source_bucket}/{key}"
        result, report, records = import_into(f"s3://{archive_bucket}/news", tmp_path / "spool", uri)
    assert result.returncode == 0, result.stderr[-3000:]
    assert {r["url"] for r in records} == set(crawled["records"])
    assert {r["warc"]["key"] for r in records} == {uri}
    assert report["archive"] == f"s3://{archive_bucket}/news"


def start_import(archive: Path, spool: Path, sources: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(spool)}
    return subprocess.Popen([sys.executable, "-m", "crawler", "import", *sources], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_records_files(archive: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300  # a few seconds per file alone; minutes on a machine shared by many
    while len(list(archive.rglob("*.jsonl.gz"))) < count:
        assert process.poll() is None and time.monotonic() < deadline, "import ended before it could be stopped"
        time.sleep(0.05)


def test_a_stopped_import_resumes_per_file(crawled: dict[str, Any], tmp_path: Path) -> None:
    """kill -9 and SIGTERM mid-file: finished files stay done, the cut one is redone, nothing half-written."""
    data = crawled["warc"].read_bytes() * 6  # a few seconds per file, so the signals land inside one
    sources = []
    for serial in range(3):
        path = tmp_path / f"CC-NEWS-20240501000000-0000{serial}.warc.gz"
        path.write_bytes(data)
        sources.append(str(path))
    archive, spool = tmp_path / "archive", tmp_path / "spool"

    killed = start_import(archive, spool, sources)
    wait_for_records_files(archive, 1, killed)
    killed.kill()
    killed.wait()
    stopped = start_import(archive, spool, sources)
    wait_for_records_files(archive, 2, stopped)
    stopped.send_signal(signal.SIGTERM)
    assert stopped.wait(timeout=60) == 130
    assert not list(spool.glob(".*.writing-*"))  # the killed run's partial file is gone
    store = open_store(str(archive))
    (report,) = [json.loads(store.get(o.key)) for o in store.list("runs/")]
    assert report["exit_reason"] == "shutdown"
    assert [s["status"] for s in report["sources"]] == ["skipped", "imported"]

    result, report, records = import_into(str(archive), spool, *sources)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [s["status"] for s in report["sources"]] == ["skipped", "skipped", "imported"]
    assert len(records) == 3 * 6 * len(crawled["records"])


def test_member_splitting_resyncs_after_any_damage() -> None:
    members = [gzip.compress(bytes([65 + n]) * 5000 + os.urandom(3000), mtime=0) for n in range(4)]
    damaged_head = b"\x00\x00" + members[0][2:]
    counts = ScanCounts()
    found = list(warc_members(io.BytesIO(damaged_head + b"".join(members[1:])), counts))
    assert [m.data[:1] for m in found] == [b"B", b"C", b"D"] and counts.corrupt == 1
    assert found[0].offset == len(members[0]) and found[0].length == len(members[1])

    counts = ScanCounts()
    found = list(warc_members(io.BytesIO(b"".join(members)[:-10]), counts))
    assert len(found) == 3 and counts.truncated and counts.corrupt == 1

    # Stored (level 0) data keeps these bytes as they are: false gzip starts inside the damaged member.
    false_starts = b"".join(b"\x1f\x8b\x08" + os.urandom(40) for _ in range(3))
    holed = bytearray(gzip.compress(b"A" * 3000 + false_starts + b"A" * 3000, compresslevel=0, mtime=0))
    holed[100:164] = b"\x00" * 64
    counts = ScanCounts()
    found = list(warc_members(io.BytesIO(bytes(holed) + b"".join(members[1:])), counts))
    assert [m.data[:1] for m in found] == [b"B", b"C", b"D"] and counts.corrupt == 1  # one damaged stretch

    for junk in (b"", b"<html>not a warc</html>"):
        with pytest.raises(NotAnArchiveError):
            list(warc_members(io.BytesIO(junk), ScanCounts()))
