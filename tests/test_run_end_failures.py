"""The end of a run when one file fails: an index that cannot be written, a WARC that cannot be uploaded, a leftover
nobody can index. Nothing blocks the other files, no record ever points at a key the archive lacks, the next run
starts, and the run after the fault is gone completes the archive.

Faults are real: the filesystem refuses (a directory where the CDXJ's `.open` file or the WARC's object must go),
or the leftover is a WARC the indexer cannot parse.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.runner import crawl_stats
from pipelines.layout import cdxj_key_for, records_key_for
from pipelines.store.factory import open_store
from pipelines.store.spool import archive_spool_root
from tests.archive_checks import ArchiveContents
from tests.coding_site import CodingSite, article_path, serve_coding_site, sites_yaml

ARTICLES = ("gzip", "br", "identity")


@dataclass
class Setup:
    base: str
    sites: Path
    archive: Path
    spool: Path

    @property
    def spool_root(self) -> Path:
        return archive_spool_root(self.spool, str(self.archive))

    def crawl(self, obstacle: str | None = None) -> tuple[subprocess.CompletedProcess[str], str | None]:
        """Crawl; with `obstacle` ("index" or "upload") a directory is put, as soon as the crawl's WARC is being
        written, where its CDXJ's `.open` file (spool) or its object (archive) must go. Returns the WARC key."""
        env = {**os.environ, "ARCHIVE_URI": str(self.archive), "NEWSARCHIVE_SPOOL": str(self.spool),
               "NEWSARCHIVE_PROGRESS": "off"}
        process = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sites", str(self.sites)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with self._obstacle_when_warc_opens(obstacle) as placed:
            stdout, stderr = process.communicate(timeout=300)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), placed.get("key")

    @contextmanager
    def _obstacle_when_warc_opens(self, obstacle: str | None) -> Iterator[dict[str, str]]:
        placed: dict[str, str] = {}
        stop = threading.Event()

        def watch() -> None:
            while obstacle and not stop.is_set():
                for path in self.spool_root.rglob("*.warc.gz.open"):
                    key = path.relative_to(self.spool_root).as_posix().removesuffix(".open")
                    target = (self.spool_root / (cdxj_key_for(key) + ".open") if obstacle == "index"
                              else self.archive / key)
                    target.mkdir(parents=True)
                    placed["key"] = key
                    return
                time.sleep(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield placed
        finally:
            stop.set()
            watcher.join()

    def contents(self) -> ArchiveContents:
        return ArchiveContents.read(open_store(str(self.archive)))

    def assert_no_record_points_nowhere(self) -> None:
        contents = self.contents()
        assert contents.records
        for record in contents.records:
            for pointer in (record["warc"], record["warc"].get("revisit") or record["warc"]):
                assert pointer["key"] in contents.warcs, f"{record['url']} points at {pointer['key']}"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with serve_coding_site(CodingSite(articles=ARTICLES)) as base:
        sites = tmp_path / "sites.yaml"
        # a delay between requests, so the crawl's WARC stays open long enough for the fault to be put in place
        sites.write_text(sites_yaml(base, delay=0.3))
        yield Setup(base, sites, tmp_path / "archive", tmp_path / "spool")


def report_of(result: subprocess.CompletedProcess[str], archive: Path) -> dict:
    reports = sorted((archive / "runs").glob("*.json"))
    assert reports, result.stderr[-3000:]
    return json.loads(reports[-1].read_text())


def one_line(stderr: str, words: str) -> list[str]:
    assert "Traceback" not in stderr, stderr[-3000:]
    return [line for line in stderr.splitlines() if words in line]


def test_index_failure_still_uploads_the_warc_and_records_and_a_later_run_indexes_it(setup: Setup) -> None:
    first, warc = setup.crawl(obstacle="index")
    assert warc, "the crawl wrote no WARC"
    assert first.returncode == 3, first.stderr[-3000:]  # the archive lacks a file: say so
    assert len(one_line(first.stderr, f"CDXJ of {warc} not written")) == 1
    contents = setup.contents()
    assert warc in contents.warcs and records_key_for(warc) in contents.keys
    assert cdxj_key_for(warc) not in contents.keys
    setup.assert_no_record_points_nowhere()
    assert any(f.get("key") == cdxj_key_for(warc) for f in report_of(first, setup.archive)["failed_uploads"])

    second, _ = setup.crawl()  # the fault is still there: the run starts anyway and tries again
    assert second.returncode == 3, second.stderr[-3000:]
    assert len(one_line(second.stderr, f"CDXJ of {warc} not written")) == 1

    (setup.spool_root / (cdxj_key_for(warc) + ".open")).rmdir()  # the operator fixes the disk
    third, _ = setup.crawl()
    assert third.returncode == 0, third.stderr[-3000:]
    index = open_store(str(setup.archive)).get(cdxj_key_for(warc)).decode()
    assert setup.base + article_path("br") in index
    assert not list(setup.spool_root.rglob("*.warc.gz")), "the working copy is gone"
    assert not (setup.spool_root / ".unindexed").exists() or not list((setup.spool_root / ".unindexed").rglob("*.gz"))


def test_warc_upload_failure_keeps_its_records_and_index_in_the_spool_until_it_goes_up(setup: Setup) -> None:
    first, warc = setup.crawl(obstacle="upload")
    assert warc, "the crawl wrote no WARC"
    assert first.returncode == 3, first.stderr[-3000:]
    one_line(first.stderr, warc)
    spooled = {p.relative_to(setup.spool_root).as_posix() for p in setup.spool_root.rglob("*") if p.is_file()}
    assert {warc, cdxj_key_for(warc), records_key_for(warc)} <= spooled
    keys = setup.contents().keys
    assert records_key_for(warc) not in keys and cdxj_key_for(warc) not in keys
    assert any(f.get("key") == records_key_for(warc) for f in report_of(first, setup.archive)["failed_uploads"])

    second, _ = setup.crawl()  # still failing: recovery must not upload what points into the missing WARC
    assert second.returncode == 3, second.stderr[-3000:]
    assert records_key_for(warc) not in setup.contents().keys and (setup.spool_root / records_key_for(warc)).is_file()
    assert len(one_line(second.stderr, f"{records_key_for(warc)} stays in the spool")) == 1

    (setup.archive / warc).rmdir()
    third, _ = setup.crawl()
    assert third.returncode == 0, third.stderr[-3000:]
    keys = setup.contents().keys
    assert {warc, cdxj_key_for(warc), records_key_for(warc)} <= set(keys)
    assert not [p for p in setup.spool_root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    setup.assert_no_record_points_nowhere()


def test_leftover_the_indexer_cannot_read_never_stops_the_next_run(setup: Setup) -> None:
    key = "warc/2026/01/01/NEWSARCHIVE-20260101000000-00000-leftover.warc.gz"
    broken = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: many\r\n\r\n")
    leftover = setup.spool_root / key
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(broken)
    result, _ = setup.crawl()
    assert result.returncode == 3, result.stderr[-3000:]
    assert len(one_line(result.stderr, f"CDXJ of {key} not written")) == 1
    store = open_store(str(setup.archive))
    assert store.get(key) == broken, "uploaded as it was: the archive keeps what was captured"
    assert not leftover.exists()
    contents = setup.contents()
    assert {r["url"] for r in contents.records} >= {setup.base + article_path(name) for name in ARTICLES}


def test_stats_of_a_crawl_that_never_started_are_empty() -> None:
    """Scrapy 2.19's Crawler.stats raises until the crawl starts; a start-up error must not become that error."""
    from scrapy.crawler import Crawler

    from crawler.spiders.news import NewsSpider

    assert crawl_stats(Crawler(NewsSpider)) == {}
