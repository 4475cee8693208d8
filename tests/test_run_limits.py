"""Run limits: --max-pages, --max-duration and the spool's free-disk floor stop a real crawl cleanly — WARCs
closed and uploaded, every archived article with its record, the reason in the run report."""

import os
import re
import shutil
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from crawler.exit_codes import ExitCode
from pipelines.store.local import LocalStore
from tests.archive_checks import ArchiveContents
from tests.conftest import require, run_cli
from tests.fixture_news_site import ARTICLE_PATTERN, FixtureSite, days, serve_fixture_site, sites_yaml

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0"}


def crawl_env(root: Path, spool: Path | None = None, **extra: str) -> dict[str, str]:
    return {"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(spool or root / "spool"), **FAST, **extra}


def stopped_cleanly(root: Path, reason: str) -> ArchiveContents:
    """The archive of a run that stopped early: its report says why, every archived article has its record,
    nothing but the report's own objects is left behind."""
    archive = ArchiveContents.read(LocalStore(root / "archive"))
    (report,) = archive.reports
    assert report["exit_reason"] == reason
    assert report["failed_uploads"] == []
    articles = {uri for uri, view in archive.responses().items()
                if view.http_status == "200" and re.search(ARTICLE_PATTERN, uri)}
    assert articles, "some articles were archived before the stop"
    assert {record["url"] for record in archive.records} == articles, "every archived article has its record"
    assert report["counts"]["records"] == len(archive.records)
    assert [key for key in archive.keys if key.endswith(".warc.gz")], "the WARCs were closed and uploaded"
    return archive


def test_max_pages_stops_after_about_that_many_responses(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 30))
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        result = run_cli("crawl", "--sites", str(tmp_path / "sites.yaml"), "--max-pages", "8",
                         env=crawl_env(tmp_path, NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN="2"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "stopped at --max-pages" in result.stderr
    archive = stopped_cleanly(tmp_path, "closespider_pagecount")
    responses = archive.reports[0]["counts"]["responses"]
    in_flight = 4  # two per domain at a time, and robots.txt beside them
    assert 8 <= responses <= 8 + in_flight, "requests in flight finish, nothing more is sent"
    assert len(site.hits) <= 8 + in_flight
    assert not list((tmp_path / "spool").rglob("*.warc.gz")), "nothing left in the spool"


def test_max_duration_stops_a_slow_crawl_in_time(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 40), article_delay=1.5)
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        result = run_cli("backfill", "--sites", str(tmp_path / "sites.yaml"), "--site", "gazette",
                         "--from", "2024-05-01", "--to", "2024-06-30", "--max-duration", "4s",
                         env=crawl_env(tmp_path, NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "stopped at --max-duration" in result.stderr
    archive = stopped_cleanly(tmp_path, "closespider_timeout")
    assert len(archive.records) < 40, "the crawl stopped before it had every article"  # 40 x 1.5 s one at a time


@pytest.mark.parametrize("value", ["3x", "0m", "m", ""])
def test_a_bad_duration_is_one_line_and_exit_2(tmp_path: Path, value: str) -> None:
    result = run_cli("crawl", "--sites", str(tmp_path / "none.yaml"), "--max-duration", value,
                     env={"ARCHIVE_URI": str(tmp_path)})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--max-duration" in result.stderr


def mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, check=False).returncode == 0


def test_the_free_disk_floor_stops_the_crawl_cleanly_with_exit_7(tmp_path: Path) -> None:
    """The spool on a small tmpfs; while the crawl runs, a file fills it to below the floor."""
    spool = tmp_path / "spoolfs"
    require(mount_tmpfs(spool, "64m"), "mounting a tmpfs needs root (a small disk the test can fill)")
    try:
        site = FixtureSite(articles=days(date(2024, 5, 1), 60), article_delay=0.3)
        with serve_fixture_site(site) as base:
            (tmp_path / "sites.yaml").write_text(sites_yaml(base))

            def fill_when_articles_arrive() -> None:
                deadline = time.monotonic() + 120
                while len(site.paths("/news/")) < 4 and time.monotonic() < deadline:
                    time.sleep(0.1)
                free = shutil.disk_usage(spool).free
                with (spool / "filler").open("wb") as fh:  # leaves 16 MB, below the 32 MB floor
                    fh.write(b"\0" * (free - 16 * 1024 * 1024))

            filler = threading.Thread(target=fill_when_articles_arrive, daemon=True)
            filler.start()
            result = run_cli("crawl", "--sites", str(tmp_path / "sites.yaml"),
                             env=crawl_env(tmp_path, spool, NEWSARCHIVE_MIN_FREE_DISK="32MiB",
                                           NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN="1"))
            filler.join(5)
        assert result.returncode == ExitCode.LOW_DISK == 7, result.stderr[-3000:]
        assert result.stderr.count("below MIN_FREE_DISK") == 1
        stopped_cleanly(tmp_path, "disk_floor")
        assert len(site.paths("/news/")) < 60
        left = [p for p in spool.rglob("*") if p.is_file() and p.name != "filler" and "state" not in p.parts]
        assert not [p for p in left if p.name.endswith((".warc.gz", ".jsonl.gz", ".open"))], left
    finally:
        subprocess.run(["umount", "-l", str(spool)], check=False)
