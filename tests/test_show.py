"""`newsarchive show`: a URL's latest record from a real demo crawl, as text, JSON, or the archived bytes."""

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipelines.records.lookup import latest_record
from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents, decoded_body, record_at_pointer
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ArchiveContents]]:
    archive = str(tmp_path_factory.mktemp("show") / "archive")
    result = run_cli("demo", env={"ARCHIVE_URI": archive})
    assert result.returncode == 0, result.stderr[-2000:]
    yield archive, ArchiveContents.read(open_store(archive))


def test_show_prints_the_record_as_text_and_json(crawled: tuple[str, ArchiveContents]) -> None:
    archive, contents = crawled
    record = contents.records[0]
    result = run_cli("show", record["url"], env={"ARCHIVE_URI": archive})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(record["title"] + "\n")
    assert record["warc"]["key"] in result.stdout and record["text"][:200] in result.stdout
    as_json = run_cli("show", record["url"], "--json", "--archive", archive)
    assert as_json.returncode == 0
    shown = json.loads(as_json.stdout)
    assert shown["record"] == record
    assert [c["key"] for c in shown["captures"]][-1] == (record["warc"]["revisit"] or record["warc"])["key"]


def test_show_raw_prints_the_archived_http_response(crawled: tuple[str, ArchiveContents]) -> None:
    archive, contents = crawled
    record = contents.records[-1]
    # bytes, not run_cli's text: the body is gzip
    result = subprocess.run([sys.executable, "-m", "crawler", "show", record["url"], "--raw"], capture_output=True,
                            env={**os.environ, "ARCHIVE_URI": archive}, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    stored = record_at_pointer(open_store(archive), record)
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Encoding" not in head
    assert body == decoded_body(stored), "decoded: what a browser would show"
    assert f"Content-Length: {len(body)}".encode() in head
    encoded = subprocess.run([sys.executable, "-m", "crawler", "show", record["url"], "--raw", "--encoded"],
                             capture_output=True, env={**os.environ, "ARCHIVE_URI": archive}, timeout=120, check=False)
    assert encoded.returncode == 0, encoded.stderr
    assert encoded.stdout.partition(b"\r\n\r\n")[2] == stored.raw_payload, "exactly the stored bytes"


def test_show_finds_a_capture_that_has_no_record(crawled: tuple[str, ArchiveContents]) -> None:
    archive, contents = crawled
    home = contents.records[0]["url"].split("/", 3)
    homepage = "/".join(home[:3]) + "/"
    result = run_cli("show", homepage, env={"ARCHIVE_URI": archive})
    assert result.returncode == 0, result.stderr
    assert "1 capture(s)" in result.stdout and "HTTP 200" in result.stdout and "no record" in result.stdout
    as_json = json.loads(run_cli("show", homepage, "--json", env={"ARCHIVE_URI": archive}).stdout)
    assert as_json["record"] is None and as_json["captures"][0]["status"] == 200
    raw = subprocess.run([sys.executable, "-m", "crawler", "show", homepage, "--raw"], capture_output=True,
                         env={**os.environ, "ARCHIVE_URI": archive}, timeout=120, check=False)
    assert raw.returncode == 0 and b"<html" in raw.stdout.lower()


def test_unknown_url_exits_4_and_bad_usage_exits_2(crawled: tuple[str, ArchiveContents]) -> None:
    archive, contents = crawled
    missing = run_cli("show", "https://nowhere.example/story", env={"ARCHIVE_URI": archive})
    assert missing.returncode == 4 and "no capture of https://nowhere.example/story" in missing.stderr
    both = run_cli("show", contents.records[0]["url"], "--json", "--raw", env={"ARCHIVE_URI": archive})
    assert both.returncode == 2
    assert run_cli("show", "https://a.example/", "--archive", "ftp://x/y").returncode == 2


def _records_file(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(gzip.compress(json.dumps(r).encode() + b"\n") for r in records))


def test_latest_record_is_the_newest_capture_of_any_url_form(tmp_path: Path) -> None:
    def record(fetched_at: str, url: str, **urls: str) -> dict[str, Any]:
        return {"url": url, "requested_url": urls.get("requested", url), "canonical_url": urls.get("canonical", url),
                "fetched_at": fetched_at}

    story = "https://herald.example/2024/05/17/story"
    _records_file(tmp_path / "records/dt=2024-05-17/A.jsonl.gz", [record("2024-05-17T08:00:00Z", story)])
    _records_file(tmp_path / "records/dt=2024-05-18/B.jsonl.gz", [
        record("2024-05-18T09:00:00Z", story + "?page=1", canonical=story),
        record("2024-05-18T07:00:00Z", story),
    ])
    _records_file(tmp_path / "records/dt=2024-05-18/C.jsonl.gz", [
        record("2024-05-18T06:00:00Z", "https://herald.example/new-home", requested="https://herald.example/s/1"),
    ])
    store = open_store(str(tmp_path))
    assert latest_record(store, story)["fetched_at"] == "2024-05-18T09:00:00Z"
    assert latest_record(store, "https://herald.example/s/1")["url"] == "https://herald.example/new-home"
    assert latest_record(store, "https://herald.example/other") is None
