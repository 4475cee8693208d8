"""Dedup across runs: crawling the same demo site twice into one archive writes revisit records the second time.

Real crawls through the CLI (`newsarchive crawl` of the session's demo site, so both runs see the same
URLs: `newsarchive demo` binds a new port per run). Incremental skipping is off, so articles are fetched again.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.demo.server import demo_sites_yaml
from pipelines.layout import DIGESTS_PREFIX, cdxj_key_for, records_key_for
from pipelines.records.build import validate_record
from pipelines.run.report import SITE_COUNTERS
from pipelines.store.factory import open_store
from pipelines.warc.lint import lint_warc
from pipelines.warc.records import REVISIT_IDENTICAL
from tests.archive_checks import jsonl_gz, library_index, record_at_pointer
from tests.conftest import run_cli
from tests.s3_server import create_bucket, moto_s3_server

MIN_RECORDS = 10
WARCIO = Path(sys.executable).with_name("warcio")


def crawl(demo_site: str, root: Path, spool: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One CLI crawl of the demo site into `root/archive` (or env's ARCHIVE_URI); its run report."""
    sites = root / "sites.yaml"
    sites.write_text(demo_sites_yaml(demo_site))
    env = {"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / spool),
           "NEWSARCHIVE_INCREMENTAL": "false", "NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false",
           "NEWSARCHIVE_DOWNLOAD_DELAY": "0", **(env or {})}  # fast, as `newsarchive demo` is
    result = run_cli("crawl", "--sites", str(sites), env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    store = open_store(env["ARCHIVE_URI"])
    latest = [obj.key for obj in store.list("runs/")][-1]
    return json.loads(store.get(latest))


def headers_of(path: Path) -> list[Any]:
    """Every record of a WARC file: (WARC headers, HTTP headers, stored payload length)."""
    with path.open("rb") as fh:
        return [(r.rec_headers, r.http_headers, len(r.raw_stream.read())) for r in ArchiveIterator(fh)]


def warcs_of(root: Path, report: dict[str, Any]) -> list[Path]:
    return [root / "archive" / o["key"] for o in report["objects"] if o["key"].endswith(".warc.gz")]


@pytest.fixture(scope="module")
def runs(demo_site: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("revisits")
    first = crawl(demo_site, root, "spool")
    second = crawl(demo_site, root, "spool", {"NEWSARCHIVE_WARC_INDEX_BATCH": "20000"})  # ~50 batches
    return {"root": root, "first": first, "second": second, "store": open_store(str(root / "archive"))}


def test_every_warc_passes_warcio_check_and_the_lint(runs: dict[str, Any]) -> None:
    for report in (runs["first"], runs["second"]):
        for path in warcs_of(runs["root"], report):
            check = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr
            assert lint_warc(path) == [], path


def test_each_index_is_the_indexers_own_over_the_finished_warc(runs: dict[str, Any]) -> None:
    """Built while the WARC was written, a batch of records at a time (the second run: one per 20 kB), each CDXJ
    is byte for byte what cdxj-indexer writes for the finished file, revisits and redirects included."""
    lines = b""
    for report in (runs["first"], runs["second"]):
        for path in warcs_of(runs["root"], report):
            index = Path(cdxj_key_for(str(path))).read_bytes()
            assert index == library_index(path), path
            lines += index
    assert b"warc/revisit" in lines and b'"status": "301"' in lines


def test_unchanged_pages_are_revisits_of_the_first_run(runs: dict[str, Any]) -> None:
    first = {h.get_header("WARC-Record-ID"): h for path in warcs_of(runs["root"], runs["first"])
             for h, _, _ in headers_of(path) if h.get_header("WARC-Type") == "response"}
    assert not [1 for path in warcs_of(runs["root"], runs["first"]) for h, _, _ in headers_of(path)
                if h.get_header("WARC-Type") == "revisit"], "the first run of an empty archive has nothing to refer to"
    second = [r for path in warcs_of(runs["root"], runs["second"]) for r in headers_of(path)]
    revisits = [r for r in second if r[0].get_header("WARC-Type") == "revisit"]
    full = [r for r in second if r[0].get_header("WARC-Type") == "response" and r[2]]
    assert len(revisits) >= MIN_RECORDS
    assert len(revisits) > 3 * len(full), "the demo site is deterministic: most pages are unchanged"
    for warc, http, stored in revisits:
        original = first[warc.get_header("WARC-Refers-To")]
        assert warc.get_header("WARC-Profile") == REVISIT_IDENTICAL
        assert warc.get_header("WARC-Refers-To-Target-URI") == original.get_header("WARC-Target-URI")
        assert warc.get_header("WARC-Target-URI") == original.get_header("WARC-Target-URI")
        assert warc.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
        assert warc.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
        assert warc.get_header("WARC-Truncated") == "length"
        assert stored == 0 and http is not None, "HTTP headers kept, body left out"


def test_revisited_records_point_at_the_original_response(runs: dict[str, Any]) -> None:
    store = runs["store"]
    second_warcs = {o["key"] for o in runs["second"]["objects"] if o["key"].endswith(".warc.gz")}
    records_keys = [o["key"] for o in runs["second"]["objects"] if o["key"].startswith("records/")]
    assert records_keys == sorted(records_key_for(key) for key in second_warcs)
    records = [r for key in records_keys for r in jsonl_gz(store.get(key))]
    assert len(records) >= MIN_RECORDS
    revisited = [r for r in records if r["warc"]["revisit"]]
    assert len(revisited) >= MIN_RECORDS
    for record in revisited:
        validate_record(record)
        view = record_at_pointer(store, record)
        assert view.type == "response" and view.uri == record["url"]
        assert record["warc"]["key"] not in second_warcs, "the bytes are in the first run's WARC"
        revisit = record["warc"]["revisit"]
        assert revisit["key"] in second_warcs
        member = store.get(revisit["key"], start=revisit["offset"], length=revisit["length"])
        (own,) = list(ArchiveIterator(io.BytesIO(member)))
        assert own.rec_type == "revisit"
        assert own.rec_headers.get_header("WARC-Record-ID") == revisit["record_id"]
        assert own.rec_headers.get_header("WARC-Refers-To") == record["warc"]["record_id"]
        assert revisit["record_id"] == f"<urn:uuid:{record['capture_id']}>"
    per_site = runs["second"]["per_site"]["demo-news"]
    assert per_site["records"] == len(records) and per_site["revisits"] == len(revisited)


def test_show_raw_returns_the_original_bytes_of_a_revisited_article(runs: dict[str, Any]) -> None:
    store = runs["store"]
    key = next(o["key"] for o in runs["second"]["objects"] if o["key"].startswith("records/"))
    record = next(r for r in jsonl_gz(store.get(key)) if r["warc"]["revisit"])
    shown = subprocess.run([sys.executable, "-m", "crawler", "show", record["url"], "--raw", "--encoded"],
                           capture_output=True, env={**os.environ, "ARCHIVE_URI": str(runs["root"] / "archive")})
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.startswith(b"HTTP/1.1 200 OK\r\n")
    assert shown.stdout.endswith(record_at_pointer(store, record).raw_payload)


def test_a_fresh_spool_learns_the_payloads_from_the_archive(runs: dict[str, Any], demo_site: str) -> None:
    """The dedup entries travel in the archive (`state/digests/`), not only in the spool's SQLite file."""
    assert [o.key for o in runs["store"].list(DIGESTS_PREFIX)], "each run stores the payloads it made dedup targets"
    third = crawl(demo_site, runs["root"], "fresh-spool")
    assert third["per_site"]["demo-news"]["revisits"] >= MIN_RECORDS


def test_run_report_counts_per_site(runs: dict[str, Any]) -> None:
    site = runs["first"]["per_site"]["demo-news"]
    assert set(site) == {*SITE_COUNTERS, "records", "revisits", "blocked", "coverage"}
    assert site["records"] == runs["first"]["counts"]["records"] >= MIN_RECORDS and site["revisits"] == 0
    assert site["blocked"] is False
    assert set(site["coverage"]) == {"title", "published_at", "authors", "text"}
    assert all(0 <= share <= 1 for share in site["coverage"].values())
    assert site["coverage"]["text"] == 1.0


@pytest.mark.s3
def test_revisits_in_an_s3_archive_with_fresh_spools(demo_site: str, tmp_path: Path) -> None:
    """A container run starts from an empty spool: the dedup entries come from `state/digests/` in the bucket."""
    with moto_s3_server() as endpoint:
        uri = f"s3://{create_bucket(endpoint)}/news"
        first = crawl(demo_site, tmp_path, "spool-1", {"ARCHIVE_URI": uri})
        second = crawl(demo_site, tmp_path, "spool-2", {"ARCHIVE_URI": uri})
    assert first["per_site"]["demo-news"]["revisits"] == 0
    assert second["per_site"]["demo-news"]["revisits"] >= MIN_RECORDS
