"""A crawl killed with SIGKILL loses nothing it had written: the next run salvages and uploads it."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.demo.server import demo_sites_yaml, serve_demo_site
from pipelines.layout import cdxj_key_for
from pipelines.store.factory import open_store
from pipelines.store.spool import archive_spool_root
from tests.archive_checks import ArchiveContents, library_index
from tests.conftest import run_cli


def test_killed_run_is_salvaged_and_uploaded_by_the_next(tmp_path: Path) -> None:
    spool, archive = tmp_path / "spool", tmp_path / "archive"
    env = {**os.environ, "ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(spool), "NEWSARCHIVE_PROGRESS": "off",
           "NEWSARCHIVE_DOWNLOAD_DELAY": "0.05", "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "1",
           "NEWSARCHIVE_WARC_INDEX_BATCH": "20000"}
    with serve_demo_site(copies=3) as base_url:
        sites = tmp_path / "sites.yaml"
        sites.write_text(demo_sites_yaml(base_url))
        crawl = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sites", str(sites)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # big enough, and its index half built (the kill leaves a partial CDXJ too)
            open_warcs = [p for p in spool.rglob("*.warc.gz.open") if p.stat().st_size > 200_000
                          and p.with_name(p.name.removesuffix(".warc.gz.open") + ".cdxj.open").exists()]
            if open_warcs:
                break
            time.sleep(0.1)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
        assert open_warcs, "the crawl never wrote a WARC big enough to interrupt"
        assert not (archive / "warc").exists(), "nothing is uploaded before the WARC is complete"

        second = run_cli("crawl", "--sites", str(sites), env={**env, "NEWSARCHIVE_DOWNLOAD_DELAY": "0"})
    assert second.returncode == 0, second.stderr[-3000:]
    contents = ArchiveContents.read(open_store(str(archive)))
    (report,) = contents.reports  # the killed run never wrote one
    recovered = {o["key"] for o in report["recovered"]}
    killed_warc = open_warcs[0].name.removesuffix(".open")
    assert any(key.endswith(killed_warc) for key in recovered)
    salvaged = next(key for key in contents.warcs if key.endswith(killed_warc))
    assert salvaged.removesuffix(".warc.gz") + ".cdxj" in contents.keys, "a salvaged WARC gets its index"
    assert (archive / cdxj_key_for(salvaged)).read_bytes() == library_index(archive / salvaged), "built anew"
    assert len(contents.warcs[salvaged]) > 10  # whole records kept, the torn one dropped
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", str(archive / salvaged)],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_leftover_that_cannot_be_uploaded_makes_the_run_exit_3(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A spool file whose write-once key already holds other bytes stays in the spool, and the run says so."""
    archive, spool = tmp_path / "archive", tmp_path / "spool"
    key = "records/dt=2026-01-01/NEWSARCHIVE-20260101000000-00000-elsewhere.jsonl.gz"
    open_store(str(archive)).put_bytes(key, b"the archived bytes")
    monkeypatch.setenv("NEWSARCHIVE_SPOOL", str(spool))
    leftover = archive_spool_root(spool, str(archive)) / key
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"different bytes")
    result = run_cli("demo", "--port", "0", env={"ARCHIVE_URI": str(archive)})
    assert result.returncode == 3, result.stdout + result.stderr[-2000:]
    report = json.loads(next((archive / "runs").glob("*.json")).read_text())
    assert any(failure.get("key") == key for failure in report["failed_uploads"])
    assert leftover.read_bytes() == b"different bytes"


def test_two_crawls_at_once_into_one_archive_lose_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    runs = [subprocess.Popen([sys.executable, "-m", "crawler", "demo", "--port", "0"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             env={**os.environ, "ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(tmp_path / name),
                                  "NEWSARCHIVE_PROGRESS": "off"})
            for name in ("spool-a", "spool-b")]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    contents = ArchiveContents.read(open_store(str(archive)))
    assert len(contents.warcs) == 2 and len(contents.reports) == 2
    assert len(contents.records) == 34
