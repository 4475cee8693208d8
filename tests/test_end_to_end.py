"""`newsarchive demo` end to end, as a user runs it: real crawl, real WARCs, real records, verified storage."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from pipelines.extract.document import parse_html
from pipelines.records.build import validate_record
from pipelines.store.factory import open_store
from pipelines.warc.lint import lint_warc
from tests.archive_checks import ArchiveContents, decoded_body, record_at_pointer, sha256
from tests.conftest import run_cli
from tests.s3_server import create_bucket, moto_s3_server

MIN_ARTICLES = 10


def spooled_files(spool: Path) -> list[str]:
    """Data files waiting in a spool (its own bookkeeping dotfiles aside), as spool-relative paths."""
    files = (p for p in spool.rglob("*") if p.is_file() and not p.name.startswith("."))
    return sorted(p.relative_to(spool).as_posix() for p in files)


def run_demo(archive_uri: str, spool: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("demo", env={"ARCHIVE_URI": archive_uri, "NEWSARCHIVE_SPOOL": str(spool), **(env or {})})


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("local")
    result = run_demo(str(root / "archive"), root / "spool")
    yield {"result": result, "root": root, "store": open_store(str(root / "archive"))}


@pytest.fixture(scope="module")
def local(local_run: dict[str, Any]) -> ArchiveContents:
    result = local_run["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    return ArchiveContents.read(local_run["store"])


def test_demo_says_where_the_output_is(local_run: dict[str, Any], local: ArchiveContents) -> None:
    out = local_run["result"].stdout
    assert "WARCs:" in out and "records:" in out and "run report:" in out
    assert str(local_run["root"] / "archive") in out


def test_no_open_files_and_empty_spool(local_run: dict[str, Any], local: ArchiveContents) -> None:
    root = local_run["root"]
    assert not list((root / "archive").rglob("*.open"))
    assert spooled_files(root / "spool") == []


def test_warcs_pass_warcio_check_and_our_lint(local_run: dict[str, Any], local: ArchiveContents) -> None:
    files = sorted((local_run["root"] / "archive").rglob("*.warc.gz"))
    assert files
    for path in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
                               capture_output=True, text=True, check=False)
        if "No module named warcio.cli" in check.stderr:
            check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", str(path)],
                                   capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
        assert lint_warc(path) == []


def test_every_fetch_has_request_and_response_linked(local: ArchiveContents) -> None:
    for records in local.warcs.values():
        assert records[0].type == "warcinfo"
        linked = {}  # WARC-Concurrent-To may sit on either record of the pair
        for record in records:
            if record.concurrent_to:
                linked[record.record_id] = record.concurrent_to
                linked[record.concurrent_to] = record.record_id
        by_id = {r.record_id: r for r in records}
        responses = [r for r in records if r.type == "response"]
        assert responses
        for response in responses:
            request = by_id[linked[response.record_id]]
            assert request.type == "request" and request.uri == response.uri


def test_robots_redirect_404_and_raw_gzip_are_archived(demo_site: str, local: ArchiveContents) -> None:
    responses = local.responses()
    robots = next(r for uri, r in responses.items() if uri.endswith("/robots.txt"))
    assert robots.http_status == "200"
    redirect = next(r for uri, r in responses.items() if "/story/" in uri)
    assert redirect.http_status == "301"
    assert any(name.lower() == "location" for name, _ in redirect.http_headers)
    assert any(r.http_status == "404" for r in responses.values())
    gzipped = [r for r in responses.values()
               if ("Content-Encoding", "gzip") in r.http_headers and r.http_status == "200"]
    assert gzipped, "the demo site gzips its articles; the WARC must keep them encoded"
    for response in gzipped:
        assert response.raw_payload[:2] == b"\x1f\x8b"  # stored raw, still gzip
    assert not any("/private/" in uri for r in local.all_warc_records() for uri in [r.uri]), "robots.txt ignored"


def test_records_are_complete_and_schema_valid(local: ArchiveContents) -> None:
    assert len(local.records) >= MIN_ARTICLES
    for record in local.records:
        validate_record(record)
        assert record["title"].strip(), record["url"]
        assert record["word_count"] >= 50, record["url"]
        assert record["site"] == "demo-news"
        assert record["warc"]["key"] in local.warcs


def test_record_pointers_address_the_response_of_their_url(local_run: dict[str, Any], local: ArchiveContents) -> None:
    for record in local.records:
        view = record_at_pointer(local_run["store"], record)
        assert view.type == "response"
        assert view.uri == record["url"]
        assert view.record_id.strip("<>").removeprefix("urn:uuid:") == record["capture_id"]


def test_no_records_for_non_article_pages(demo_site: str, local: ArchiveContents) -> None:
    urls = {record["url"] for record in local.records}
    listing_pages = [uri for uri, r in local.responses().items()
                     if uri.rstrip("/").count("/") <= 4 and r.http_status == "200"]  # homepage, sections, pages
    assert listing_pages
    assert not urls & set(listing_pages)
    assert not any(url.endswith((".xml", ".txt")) for url in urls)


def navigation_lines(html: bytes) -> set[str]:
    """Text of the page's own navigation menus (multi-word entries, to avoid common single words)."""
    document = parse_html(html)
    assert document is not None
    tree = document.tree
    texts = {" ".join(a.text_content().split()) for a in tree.xpath("//nav//a | //header//a | //footer//a")}
    return {t for t in texts if len(t.split()) >= 3}


def test_article_text_is_free_of_navigation(local_run: dict[str, Any], local: ArchiveContents) -> None:
    for record in local.records:
        body = decoded_body(record_at_pointer(local_run["store"], record))
        paragraphs = set(record["text"].split("\n\n"))
        assert not paragraphs & navigation_lines(body), record["url"]


def test_run_report_lists_every_object_with_checksums(local_run: dict[str, Any], local: ArchiveContents) -> None:
    (report,) = local.reports
    store = local_run["store"]
    listed = {o["key"]: o for o in report["objects"]}
    expected = {k for k in local.keys if not k.startswith("runs/")}
    assert set(listed) == expected
    for key, obj in listed.items():
        data = store.get(key)
        assert len(data) == obj["size"] and sha256(data) == obj["sha256"], key
    assert report["counts"]["records"] == len(local.records)
    assert report["exit_reason"] == "finished"


@pytest.mark.s3
def test_demo_into_s3(tmp_path: Path) -> None:
    with moto_s3_server() as endpoint:
        bucket = create_bucket(endpoint)
        uri = f"s3://{bucket}/news/archive"
        result = run_demo(uri, tmp_path / "spool")
        assert result.returncode == 0, result.stderr[-3000:]
        store = open_store(uri)
        contents = ArchiveContents.read(store)
        assert any(k.startswith("warc/") and k.endswith(".warc.gz") for k in contents.keys)
        assert any(k.startswith("records/dt=") and k.endswith(".jsonl.gz") for k in contents.keys)
        assert len(contents.records) >= MIN_ARTICLES
        (report,) = contents.reports
        for obj in report["objects"]:
            assert sha256(store.get(obj["key"])) == obj["sha256"]
        record = contents.records[0]
        assert record_at_pointer(store, record).uri == record["url"]
        assert spooled_files(tmp_path / "spool") == []


@pytest.mark.s3
def test_failed_uploads_stay_in_the_spool_and_go_up_next_run(tmp_path: Path) -> None:
    with moto_s3_server() as endpoint:
        bucket = create_bucket(endpoint)
        uri = f"s3://{bucket}/a"
        env = {**os.environ, "ARCHIVE_URI": uri, "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
               "NEWSARCHIVE_PROGRESS": "plain"}
        demo = subprocess.Popen([sys.executable, "-m", "crawler", "demo"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while not list((tmp_path / "spool").rglob("*.warc.gz.open")) and time.monotonic() < deadline:
            time.sleep(0.05)
        # The crawl started (it checked the bucket); the bucket goes away: every upload of the run fails.
        boto3.client("s3", endpoint_url=endpoint).delete_bucket(Bucket=bucket)
        output, _ = demo.communicate(timeout=300)
        assert demo.returncode == 3, output[-2000:]
        left = spooled_files(tmp_path / "spool")
        assert any(k.endswith(".warc.gz") for k in left) and any(k.endswith(".jsonl.gz") for k in left)
        create_bucket(endpoint, bucket)
        second = run_demo(uri, tmp_path / "spool")
        assert second.returncode == 0, second.stderr[-3000:]
        contents = ArchiveContents.read(open_store(uri))
        recovered = {o["key"] for report in contents.reports for o in report["recovered"]}
        left_keys = {path.split("/", 1)[1] for path in left}  # spool paths are <archive hash>/<key>
        assert left_keys <= recovered, "every file of the failed run is uploaded by the next one"
        assert left_keys <= set(contents.keys)
        assert spooled_files(tmp_path / "spool") == []


def test_every_warc_has_a_cdxj_index_agreeing_with_the_records(local_run: dict[str, Any],
                                                              local: ArchiveContents) -> None:
    import json

    store = local_run["store"]
    index: dict[tuple[str, int], int] = {}
    for key in local.warcs:
        cdxj_key = key.removesuffix(".warc.gz") + ".cdxj"
        assert cdxj_key in local.keys, f"no index for {key}"
        for line in store.get(cdxj_key).decode().splitlines():
            fields = json.loads(line.split(" ", 2)[2])
            assert fields["filename"] == key.rsplit("/", 1)[1]
            index[(fields["url"], int(fields["offset"]))] = int(fields["length"])
    for record in local.records:
        assert index[(record["url"], record["warc"]["offset"])] == record["warc"]["length"]
