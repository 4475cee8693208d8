"""`newsarchive backfill`: only what was published in the window, newest first, resumable after kill -9."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from crawler.discovery.window import discovered_date, newest_first, parse_date, url_dates
from pipelines.days import DayRange
from pipelines.store.factory import open_store
from pipelines.store.members import complete_prefix_length
from tests.archive_checks import ArchiveContents
from tests.conftest import run_cli
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml

WINDOW = ("2024-04-10", "2024-04-20")


def test_dates_known_at_discovery() -> None:
    assert parse_date("2024-05-17T23:30:00-02:00") == date(2024, 5, 18)  # UTC day
    assert parse_date("2024-05-17") == date(2024, 5, 17) and parse_date("yesterday") is None
    assert url_dates("https://h.example/news/2024/05/17/x") == (date(2024, 5, 17), date(2024, 5, 17))
    assert url_dates("https://h.example/sitemaps/2024-02.xml") == (date(2024, 2, 1), date(2024, 2, 29))
    assert url_dates("https://h.example/2024/13/40/x") is None and url_dates("https://h.example/a/12345") is None
    hints = {"published_at": "2024-05-16T10:00:00Z"}
    assert discovered_date("https://h.example/2024/05/17/x", hints) == date(2024, 5, 16)
    assert discovered_date("https://h.example/2024/05/x", {}) is None, "a month is not a publication date"
    window = DayRange(date(2024, 4, 10), date(2024, 4, 20))
    assert date(2024, 4, 10) in window and date(2024, 4, 21) not in window
    assert window.overlaps(date(2024, 4, 1), date(2024, 4, 30))
    assert not window.overlaps(date(2024, 5, 1), date(2024, 5, 31))
    assert newest_first(window, date(2024, 4, 20)) > newest_first(window, date(2024, 4, 11))


def backfill_env(root: Path) -> dict[str, str]:
    return {"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool"),
            "NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
            "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "1"}


def backfill_args(sites: Path) -> list[str]:
    return ["backfill", "--sites", str(sites), "--site", "gazette", "--from", WINDOW[0], "--to", WINDOW[1]]


def test_backfill_fetches_only_the_window_newest_first(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 3, 1), 30, step=3))  # 2024-03-01 … 2024-05-27
    in_window = sorted((d for d in site.articles if date(2024, 4, 10) <= d <= date(2024, 4, 20)), reverse=True)
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        # One request at a time in the whole crawl, so each next request is the scheduler's choice (the priority
        # under test). With more, the engine moves queued requests on into the downloader as they come, and two
        # of them reached the server in the other order in about 1 run of 10 (cause in the downloader path not
        # pinned down; the scheduler's order was right).
        result = run_cli(*backfill_args(tmp_path / "sites.yaml"),
                         env={**backfill_env(tmp_path), "NEWSARCHIVE_CONCURRENT_REQUESTS": "1"})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert site.paths("/news/") == [site.article_path(d) for d in in_window]
    assert site.paths("/sitemaps/") == ["/sitemaps/2024-04.xml"], "March (lastmod) and May (URL) are pruned"
    assert site.paths("/calendar/") == [] and "'newsarchive/skipped/undated'" in result.stderr  # homepage links
    records = ArchiveContents.read(open_store(str(tmp_path / "archive"))).records
    assert sorted(r["published_at"][:10] for r in records) == sorted(d.isoformat() for d in in_window)


def test_bad_window_exits_2(tmp_path: Path) -> None:
    (tmp_path / "sites.yaml").write_text(sites_yaml("http://127.0.0.1:9"))
    result = run_cli("backfill", "--sites", str(tmp_path / "sites.yaml"), "--site", "gazette",
                     "--from", "2024-05-02", "--to", "2024-05-01")
    assert result.returncode == 2 and "--from" in result.stderr


def recorded_paths(spool: Path) -> set[str]:
    """URL paths of the records a killed run had written: the complete lines of its half-written records files."""
    paths = set()
    for records_file in spool.rglob("*.jsonl.gz*"):
        with records_file.open("rb") as fh:
            complete = records_file.read_bytes()[: complete_prefix_length(fh)]
        for line in gzip.decompress(complete).splitlines() if complete else []:
            paths.add("/" + json.loads(line)["url"].split("//", 1)[1].split("/", 1)[1])
    return paths


def test_killed_backfill_resumes_without_refetching_archived_articles(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 4, 1), 30), crawl_delay=0.5)  # time to kill it mid-way
    in_window = {site.article_path(d) for d in site.articles if date(2024, 4, 10) <= d <= date(2024, 4, 20)}
    env = {**os.environ, **backfill_env(tmp_path), "NEWSARCHIVE_PROGRESS": "off"}
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        first = subprocess.Popen([sys.executable, "-m", "crawler", *backfill_args(tmp_path / "sites.yaml")], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while (len(site.paths("/news/")) < 5 or not recorded_paths(tmp_path / "spool")) and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        before = set(site.paths("/news/"))
        recorded = recorded_paths(tmp_path / "spool")
        assert 5 <= len(before) < len(in_window), "killed mid-way"
        site.clear()
        second = run_cli(*backfill_args(tmp_path / "sites.yaml"), env=backfill_env(tmp_path))
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    after = set(site.paths("/news/"))
    assert before | after == in_window
    # Articles fetched but not yet recorded at the kill (extraction runs in a worker) may be fetched again;
    # an article whose record was written never is.
    assert recorded and not recorded & after, "an archived article was fetched again"
    assert before & after <= before - recorded
    records = ArchiveContents.read(open_store(str(tmp_path / "archive"))).records
    assert {r["url"].split("//", 1)[1].split("/", 1)[1] for r in records} >= {p.lstrip("/") for p in in_window}
