"""Prometheus metrics: /metrics answers while a real crawl runs, and the textfile at the end says what the run
report says (the metrics read the run's own counters, they never count a second time)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
        "NEWSARCHIVE_PROGRESS": "plain"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition: (name, sorted labels) → value."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def test_metrics_while_the_crawl_runs_and_a_textfile_at_its_end(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 4))
    site.hold = site.article_path(site.articles[-1])  # the crawl waits for this article until the test is done
    port = free_port()
    textfile = tmp_path / "textfile" / "newsarchive.prom"
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        env = {**os.environ, **FAST, "ARCHIVE_URI": str(tmp_path / "archive"),
               "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), "NEWSARCHIVE_METRICS_PORT": str(port),
               "NEWSARCHIVE_METRICS_ADDRESS": "127.0.0.1", "NEWSARCHIVE_METRICS_TEXTFILE": str(textfile)}
        crawl = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sites", str(tmp_path / "sites.yaml")],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert site.held.wait(120), "the crawl never asked for the held article"
            deadline, live = time.monotonic() + 30, {}
            while time.monotonic() < deadline:  # the other articles are being extracted and written meanwhile
                live = samples(scrape(port))
                if live.get(("newsarchive_site_articles_total", (("site", "gazette"),)), 0) >= 3:
                    break
                time.sleep(0.3)
            assert crawl.poll() is None, "the crawl is still running while /metrics answers"
        finally:
            site.released.set()
            output, _ = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, output[-3000:]
    gazette = (("site", "gazette"),)
    assert live[("newsarchive_site_articles_total", gazette)] == 3
    assert live[("newsarchive_site_responses_total", (("site", "gazette"), ("status_class", "2xx")))] >= 8
    assert live[("newsarchive_site_bytes_total", gazette)] > 10_000
    assert live[("newsarchive_site_blocked", gazette)] == 0
    assert live[("newsarchive_upload_failures_total", ())] == 0
    assert ("newsarchive_queue_depth", ()) in live and ("newsarchive_upload_lag_seconds", ()) in live
    with pytest.raises(OSError):
        scrape(port)  # the server ended with the crawl

    end = samples(textfile.read_text())
    (report_file,) = (tmp_path / "archive" / "runs").glob("*.json")
    report = json.loads(report_file.read_text())
    counts, per_site = report["counts"], report["per_site"]["gazette"]
    assert end[("newsarchive_run_info", (("crawl_id", report["crawl_id"]),))] == 1
    assert end[("newsarchive_run_exit_code", ())] == 0
    assert end[("newsarchive_run_finish_reason", (("reason", "finished"),))] == 1
    for name in ("requests", "responses", "articles", "records", "bytes", "warc_records", "errors"):
        assert end[(f"newsarchive_{name}_total", ())] == counts[name], name
    for name in ("fetched", "discovered", "articles", "bytes", "network_failures", "errors"):
        assert end[(f"newsarchive_site_{name}_total", gazette)] == per_site[name], name
    assert end[("newsarchive_site_responses_total", (("site", "gazette"), ("status_class", "2xx")))] == \
        per_site["responses_2xx"]
    assert end[("newsarchive_upload_waiting_files", ())] == 0 and end[("newsarchive_upload_lag_seconds", ())] == 0
    assert not list(textfile.parent.glob("*.open")), "written atomically"


def test_a_busy_metrics_port_is_one_line_and_the_crawl_goes_on(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 2))
    with socket.socket() as taken, serve_fixture_site(site) as base:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "crawl", "--sites", str(tmp_path / "sites.yaml")],
            env={**os.environ, **FAST, "ARCHIVE_URI": str(tmp_path / "archive"),
                 "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), "NEWSARCHIVE_METRICS_ADDRESS": "127.0.0.1",
                 "NEWSARCHIVE_METRICS_PORT": str(taken.getsockname()[1])},
            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    problems = [line for line in result.stderr.splitlines() if "METRICS_PORT" in line]
    assert len(problems) == 1 and "the crawl goes on without it" in problems[0]
