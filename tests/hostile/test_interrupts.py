"""Ctrl-C, SIGTERM and kill -9 of a running crawl, and failures before the first request, as an operator meets them.

A terminal's Ctrl-C sends SIGINT to the whole foreground process group: the crawl runs in its own session and
the signal goes to its group. Signals land at deterministic points (start-up done, articles fetched, a request
held in flight by the server). Tests marked `xfail(strict=True)` fail today for the reason given (issue 8).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.archive_runs import Archive, Crawl, rerun_salvages, wait_for
from tests.hostile.checks import TRACEBACK
from tests.hostile.harness import leftovers
from tests.hostile.slow_site import SlowSite

SIGNAL_EXIT_WITHIN = 10.0


def assert_clean_interrupt(crawl: Crawl, archive: Archive, code: int | None) -> None:
    output = crawl.output()
    assert code == 130, f"exit {code} (None: still running {SIGNAL_EXIT_WITHIN} s after the signal)\n{output[-2500:]}"
    found = TRACEBACK.search(output)
    assert found is None, output[found.start():found.start() + 2000] if found else ""
    assert "worker died" not in output
    assert not leftovers(crawl.process.pid), leftovers(crawl.process.pid)
    assert not archive.open_files(), archive.open_files()


def interrupt(crawl: Crawl, signum: int = signal.SIGINT) -> int | None:
    os.killpg(crawl.process.pid, signum)
    return crawl.wait(SIGNAL_EXIT_WITHIN)


@pytest.mark.parametrize("held", [pytest.param("/robots.txt", id="before-the-first-response"),
                                  pytest.param(3, id="mid-crawl")])
def test_ctrl_c_while_a_request_is_in_flight(archive: Archive, slow_site: SlowSite, held: int | str) -> None:
    slow_site.hold = held  # answered only after the signal has been handled
    crawl = archive.start()
    try:
        wait_for(slow_site.held.is_set)
        assert_clean_interrupt(crawl, archive, interrupt(crawl))
    finally:
        slow_site.released.set()
        crawl.stop()


@pytest.mark.parametrize("signum", [pytest.param(signal.SIGINT, id="ctrl-c"),
                                    pytest.param(signal.SIGTERM, id="sigterm")])
def test_signal_mid_crawl_then_rerun_salvages(archive: Archive, slow_site: SlowSite, signum: int) -> None:
    # From article 8 on the server answers after 2 s: the signal lands with requests in flight (a shutdown may
    # wait for them) and the extraction worker idle, every earlier page extracted (a deterministic state).
    slow_site.hold_from, slow_site.hold_seconds = 8, 2.0
    crawl = archive.start()
    try:
        wait_for(lambda: slow_site.held.is_set() and archive.records_written())
        wait_for(lambda: archive.records_size() == (time.sleep(0.5) or archive.records_size()))
        assert_clean_interrupt(crawl, archive, interrupt(crawl, signum))
    finally:
        crawl.stop()
    rerun_salvages(archive)


def test_second_ctrl_c_aborts_at_once_and_rerun_salvages(archive: Archive, slow_site: SlowSite) -> None:
    slow_site.hold = 6
    crawl = archive.start()
    try:
        wait_for(slow_site.held.is_set)
        os.killpg(crawl.process.pid, signal.SIGINT)
        time.sleep(0.5)
        os.killpg(crawl.process.pid, signal.SIGINT)
        code = crawl.wait(3.0)
        assert code is not None, "still running 3 s after the second Ctrl-C"
        assert not leftovers(crawl.process.pid), leftovers(crawl.process.pid)
    finally:
        slow_site.released.set()
        crawl.stop()
    rerun_salvages(archive)


def test_kill_9_then_rerun_fetches_no_recorded_article_and_loses_none(archive: Archive, slow_site: SlowSite) -> None:
    crawl = archive.start()
    try:
        wait_for(lambda: len(slow_site.fetched()) >= 12 and archive.records_written())
        size = archive.records_size()
        deadline = time.monotonic() + 20
        while archive.records_size() == size and time.monotonic() < deadline:
            time.sleep(0.002)
        os.killpg(crawl.process.pid, signal.SIGKILL)  # just after a record was written
        crawl.wait(10)
    finally:
        crawl.stop()
    killed_at = time.time()
    rerun_salvages(archive)
    first_run = {str(r["crawl_id"]) for r in archive.records()}
    reports = sorted((archive.root / "archive" / "runs").glob("*.json"))
    assert len(reports) == 1, "only the rerun writes a report"
    rerun_id = reports[0].stem
    recorded_before = {str(r["url"]) for r in archive.records() if r["crawl_id"] != rerun_id}
    assert first_run - {rerun_id}, "the killed run's records were not salvaged"
    refetched = recorded_before & set(slow_site.fetched(since=killed_at))
    assert not refetched, sorted(refetched)


def test_kill_9_of_the_crawler_leaves_no_orphans(archive: Archive, slow_site: SlowSite) -> None:
    slow_site.heavy = 4
    crawl = archive.start()
    try:
        wait_for(slow_site.heavy_served.is_set)
        time.sleep(1.0)  # the worker is extracting the 6 MB page now
        os.kill(crawl.process.pid, signal.SIGKILL)
        crawl.wait(10)
        deadline = time.monotonic() + 5
        while leftovers(crawl.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not leftovers(crawl.process.pid), leftovers(crawl.process.pid)
    finally:
        crawl.stop()


# -- failures before the first request --------------------------------------------------------------------------------

def start_up_failure(tmp_path: Path) -> dict[str, tuple[dict[str, str], str, tuple[int, ...]]]:
    """case → (environment, what the one line must name, accepted exit codes)."""
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    return {
        "spool-not-writable": ({"NEWSARCHIVE_SPOOL": str(not_a_dir / "spool")}, str(not_a_dir), (2,)),
        "redis-unreachable": ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL", (6,)),
        "depth-limit-not-a-number": ({"NEWSARCHIVE_DEPTH_LIMIT": "abc"}, "NEWSARCHIVE_DEPTH_LIMIT", (2,)),
        "s3-endpoint-unreachable": ({"ARCHIVE_URI": "s3://newsarchive-test/archive",
                                     "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "x",
                                     "AWS_SECRET_ACCESS_KEY": "x"}, "127.0.0.1:1", (6,)),
        "unknown-setting-variable": ({"NEWSARCHIVE_FOO": "1"}, "NEWSARCHIVE_FOO", (2,)),
    }


START_UP_CASES = ("spool-not-writable", "redis-unreachable", "depth-limit-not-a-number", "s3-endpoint-unreachable",
                  "unknown-setting-variable")


@pytest.mark.parametrize("name", START_UP_CASES)
def test_failure_before_the_first_request_is_one_line(tmp_path: Path, name: str) -> None:
    env_extra, names, codes = start_up_failure(tmp_path)[name]
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - name: nowhere\n    homepage: http://127.0.0.1:9/\n    allow_private_network: true\n")
    env = {**os.environ, "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
           "NEWSARCHIVE_PROGRESS": "off", **env_extra}
    done = subprocess.run([sys.executable, "-m", "crawler", "crawl", "--sites", str(sites)], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    output = done.stdout + done.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    assert done.returncode in codes, f"exit {done.returncode}\n{output[-2000:]}"
    assert not TRACEBACK.search(output), output[-2000:]
    assert len([line for line in lines if names in line]) == 1 and len(lines) <= 3, lines[-10:]
    assert "run report:" not in output and not (tmp_path / "archive" / "runs").exists()
    assert not re.search(r"^\S+ \S+ \[scrapy\.core\.engine\] INFO: Spider opened", output, re.M)
