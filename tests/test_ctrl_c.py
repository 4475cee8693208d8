"""Ctrl-C (SIGINT to the whole process group, as a terminal sends it), SIGTERM to the crawl alone (`podman stop`)
and a second Ctrl-C: exit 130 within 10 s, WARCs closed, no traceback, no worker warnings, no process left;
the next run salvages what is left and loses nothing (crawler.shutdown)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.crash_checks import (
    TRACEBACK,
    Crawl,
    archive_problems,
    archive_records,
    session_processes,
    spool_records,
    start_crawl,
    wait_for,
)
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml
from tests.s3_server import create_bucket, stoppable_moto_s3_server

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
        "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "2", "NEWSARCHIVE_EXTRACT_WORKERS": "1"}
ARTICLES = days(date(2024, 4, 1), 24)
WITHIN = 10.0


@contextlib.contextmanager
def crawling(site: FixtureSite, root: Path) -> Iterator[tuple[Path, Crawl]]:
    """The site served, its sites file, a crawl of it started; afterwards the held request released and
    whatever is left of the crawl gone."""
    with serve_fixture_site(site) as base:
        sites = root / "sites.yaml"
        sites.write_text(sites_yaml(base))
        crawl = start_crawl(sites, root, FAST)
        try:
            yield sites, crawl
        finally:
            site.released.set()
            crawl.clean_up()


def assert_clean_exit(crawl_output: str, code: int | None, root: Path, session: int) -> None:
    assert code == 130, f"exit {code} (None: still running {WITHIN} s after the signal)\n{crawl_output[-3000:]}"
    assert TRACEBACK not in crawl_output, crawl_output[crawl_output.find(TRACEBACK):][:3000]
    assert "worker died" not in crawl_output and "leaked semaphore" not in crawl_output, crawl_output[-3000:]
    assert session_processes(session) == [], "a process of the crawl outlived it"
    assert not list((root / "spool").rglob("*.open")), "every WARC and records file is closed"


def rerun_loses_nothing(sites: Path, root: Path, site: FixtureSite) -> None:
    site.article_delay, site.hold = 0, None
    site.released.set()
    result = run_cli("crawl", "--sites", str(sites), env={"ARCHIVE_URI": str(root / "archive"),
                                                           "NEWSARCHIVE_SPOOL": str(root / "spool"), **FAST})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    records = archive_records(root / "archive")
    assert {r["url"].split("/", 3)[3] for r in records} == {site.article_path(d)[1:] for d in ARTICLES}
    assert archive_problems(root / "archive") == []


@pytest.mark.parametrize("signum, to_group", [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["ctrl-c", "podman-stop"])
def test_signal_mid_crawl_ends_clean_with_130_and_the_rerun_loses_nothing(tmp_path: Path, signum: int,
                                                                         to_group: bool) -> None:
    site = FixtureSite(articles=list(ARTICLES), article_delay=0.2)
    with crawling(site, tmp_path) as (sites, crawl):
        wait_for(lambda: len(spool_records(tmp_path / "spool")) >= 3, what="records in the spool")
        crawl.signal_group(signum) if to_group else os.kill(crawl.pid, signum)
        code = crawl.wait(WITHIN)
        assert_clean_exit(crawl.output(), code, tmp_path, crawl.pid)
        assert "interrupted" in crawl.output()
        rerun_loses_nothing(sites, tmp_path, site)


def test_ctrl_c_while_a_response_is_held_ends_in_time(tmp_path: Path) -> None:
    """The server holds an article: Scrapy's graceful stop would wait for it (up to DOWNLOAD_TIMEOUT)."""
    site = FixtureSite(articles=list(ARTICLES))
    site.hold = site.article_path(ARTICLES[-1])
    with crawling(site, tmp_path) as (sites, crawl):
        wait_for(site.held.is_set, what="the held request")
        started = time.monotonic()
        crawl.signal_group(signal.SIGINT)
        code = crawl.wait(WITHIN)
        assert_clean_exit(crawl.output(), code, tmp_path, crawl.pid)
        assert time.monotonic() - started < WITHIN
        rerun_loses_nothing(sites, tmp_path, site)


def test_second_ctrl_c_stops_at_once_and_the_rerun_salvages(tmp_path: Path) -> None:
    site = FixtureSite(articles=list(ARTICLES), article_delay=0.2)
    site.hold = site.article_path(ARTICLES[-1])
    with crawling(site, tmp_path) as (sites, crawl):
        wait_for(lambda: site.held.is_set() and spool_records(tmp_path / "spool"), what="a record and a hold")
        crawl.signal_group(signal.SIGINT)
        time.sleep(0.3)
        crawl.signal_group(signal.SIGINT)
        assert crawl.wait(3.0) == 130, "still running 3 s after the second Ctrl-C"
        assert session_processes(crawl.pid) == []
        rerun_loses_nothing(sites, tmp_path, site)


def test_ctrl_c_while_the_crawl_starts_is_clean(tmp_path: Path) -> None:
    """Interrupted as soon as the run opened its spool (recovery, state, Scrapy's start-up): 130, no traceback."""
    site = FixtureSite(articles=list(ARTICLES), hold="/robots.txt")
    with crawling(site, tmp_path) as (_, crawl):
        wait_for(lambda: any((tmp_path / "spool").glob("*/.lock")), what="the spool")
        crawl.signal_group(signal.SIGINT)
        code = crawl.wait(WITHIN)
        assert_clean_exit(crawl.output(), code, tmp_path, crawl.pid)
        assert "Aborted" not in crawl.output()


def test_ctrl_c_while_scrapy_starts_stops_it_gracefully(tmp_path: Path) -> None:
    """A Ctrl-C while Scrapy builds and opens its crawler (before its engine runs), which Scrapy's own stop ignores:
    the crawl still stops as asked, not at its end (exit 0, "finished") nor by GRACE's forced stop."""
    site = FixtureSite(articles=list(ARTICLES), article_delay=0.3)
    with crawling(site, tmp_path) as (_, crawl):
        wait_for(lambda: "Enabled spider middlewares" in crawl.output(), what="Scrapy building its crawler")
        crawl.signal_group(signal.SIGINT)
        code = crawl.wait(WITHIN)
        assert_clean_exit(crawl.output(), code, tmp_path, crawl.pid)
        assert "did not close the spider" not in crawl.output(), crawl.output()[-3000:]
        (report,) = (tmp_path / "archive" / "runs").glob("*.json")
        assert json.loads(report.read_text())["exit_reason"] == "shutdown"


@pytest.mark.s3
def test_ctrl_c_with_s3_gone_ends_in_time_and_keeps_the_files(tmp_path: Path) -> None:
    """Uploads to a store that stopped answering do not hold an interrupted crawl: it ends by its deadline, the
    files it could not upload closed and waiting in the spool."""
    with stoppable_moto_s3_server() as (endpoint, stop_s3):
        bucket = create_bucket(endpoint)
        site = FixtureSite(articles=list(ARTICLES), article_delay=0.2)
        env = {**FAST, "ARCHIVE_URI": f"s3://{bucket}/a", "NEWSARCHIVE_WARC_MAX_SIZE": "20000"}  # rotations
        with serve_fixture_site(site) as base:
            sites = tmp_path / "sites.yaml"
            sites.write_text(sites_yaml(base))
            crawl = start_crawl(sites, tmp_path, env)
            try:
                wait_for(lambda: len(spool_records(tmp_path / "spool")) >= 3, what="records in the spool")
                stop_s3()
                crawl.signal_group(signal.SIGINT)
                code = crawl.wait(WITHIN)
                assert_clean_exit(crawl.output(), code, tmp_path, crawl.pid)
            finally:
                crawl.clean_up()
    waiting = [p for p in (tmp_path / "spool").rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert any(p.name.endswith(".jsonl.gz") for p in waiting) and any(p.name.startswith("NEWSARCHIVE") and
                                                                       p.name.endswith(".warc.gz") for p in waiting)
    assert "the next run uploads them" in crawl.output() and "run report: not uploaded" in crawl.output()


SWALLOWED_CTRL_C = """
import os, signal, time
from crawler import interrupt

interrupt.install()
try:  # as a library's import that catches everything did, with the Ctrl-C landing inside it
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
except BaseException:
    pass
try:
    interrupt.check()
except interrupt.Interrupted as name:
    print("raised again:", name)
"""


def test_a_ctrl_c_a_library_swallowed_before_the_crawl_started_still_stops_it() -> None:
    """Before a command's own handlers, a Ctrl-C raises in whatever runs, and an import that catches everything
    once swallowed it (the crawl then ran to its end, exit 0): the command asks again once its handlers are in."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", SWALLOWED_CTRL_C], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "raised again: SIGINT", done.stderr
