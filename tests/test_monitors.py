"""Monitors after each crawl: their failures are in the run report and POSTed to ALERT_WEBHOOK; a webhook
that is down is one warning line and never fails the run."""

import json
import socket
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from crawler.alerts import where
from crawler.monitors import earlier_reports, run_monitors
from pipelines.store.factory import open_store
from tests.conftest import run_cli
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml
from tests.serving import serving

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0"}
THRESHOLDS = {"title": 0.9, "authors": 0.5}


def site(records: int = 10, articles: int = 10, **coverage: float) -> dict[str, Any]:
    return {"records": records, "articles": articles, "blocked": False,
            "coverage": {"title": 1.0, "published_at": 1.0, "authors": 1.0, "text": 1.0, **coverage}}


def report(reason: str = "finished", **sites: dict[str, Any]) -> dict[str, Any]:
    return {"crawl_id": "now", "command": "crawl", "exit_reason": reason, "per_site": sites}


def history(articles: list[int], name: str = "herald") -> list[dict[str, Any]]:
    return [{"per_site": {name: {"articles": n}}} for n in articles]


def test_a_healthy_run_passes_every_check() -> None:
    outcome = run_monitors(report(herald=site()), history([10, 12, 9]), thresholds=THRESHOLDS, article_ratio=0.5)
    assert outcome == {"passed": True, "checks": ["coverage/fields", "finish/blocked", "finish/reason",
                                                   "volume/articles"], "failures": []}


def test_each_monitor_says_what_is_wrong() -> None:
    run = report("disk_floor", herald=site(authors=0.2, articles=3), gazette={**site(records=3, title=0.0),
                                                                               "blocked": True})
    outcome = run_monitors(run, history([10, 12, 9]), thresholds=THRESHOLDS, article_ratio=0.5)
    assert outcome["passed"] is False
    messages = {failure["monitor"]: failure["message"] for failure in outcome["failures"]}
    assert messages == {
        "coverage/fields": "herald: authors on 20% of 10 records (expected at least 50%)",  # gazette: too few
        "volume/articles": "herald: 3 articles, under 50% of its median of 10 in the last 3 runs",
        "finish/reason": "the run ended with disk_floor (below the free-disk floor), not finished or "
                         "closespider_timeout or closespider_pagecount",
        "finish/blocked": "blocking the crawler: gazette",
    }


def test_a_site_needs_a_history_before_its_volume_is_judged() -> None:
    outcome = run_monitors(report(herald=site(articles=0)), history([10, 12]), thresholds={}, article_ratio=0.5)
    assert outcome["passed"] is True
    outcome = run_monitors(report(herald=site(articles=0)), history([10, 12, 9]), thresholds={}, article_ratio=0)
    assert outcome["passed"] is True, "ratio 0: off"


def test_a_coverage_threshold_of_no_field_is_refused_at_start_up(tmp_path: Path) -> None:
    result = run_cli("crawl", "--sites", str(tmp_path / "none.yaml"), env={
        "ARCHIVE_URI": str(tmp_path), "NEWSARCHIVE_MONITOR_MIN_COVERAGE": '{"titel": 0.9, "text": 2}'})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "newsarchive: NEWSARCHIVE_MONITOR_MIN_COVERAGE: 'titel' is not a field the run report measures (one of "
        "title, published_at, authors, text)",
        "newsarchive: NEWSARCHIVE_MONITOR_MIN_COVERAGE: text: 2 is not a share between 0 and 1"]


class Recorder(BaseHTTPRequestHandler):
    posts: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.posts.append({"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def seed_history(archive: Path, articles: list[int]) -> None:
    """Reports of earlier crawls of the fixture site, as the archive keeps them."""
    (archive / "runs").mkdir(parents=True)
    for number, count in enumerate(articles):
        crawl_id = f"20200101T00000{number}Z-0000000{number}"
        (archive / "runs" / f"{crawl_id}.json").write_text(json.dumps({
            "crawl_id": crawl_id, "command": "crawl", "exit_reason": "finished", "per_site": {
                "gazette": {"articles": count, "records": count}}}))


def test_the_history_is_the_newest_earlier_runs_of_the_same_command(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    seed_history(tmp_path, [1, 2, 3, 4])
    (tmp_path / "runs" / "20200101T000005Z-broken00.json").write_text("{cut off")
    (tmp_path / "runs" / "20200101T000006Z-import00.json").write_text(json.dumps({"command": "import"}))
    history = earlier_reports(open_store(str(tmp_path)), "crawl", 2, "20200101T000003Z-00000003")
    assert [report["crawl_id"] for report in history] == ["20200101T000001Z-00000001", "20200101T000002Z-00000002"]
    assert "earlier run report runs/20200101T000005Z-broken00.json skipped" in caplog.text


def crawl(tmp_path: Path, site: FixtureSite, webhook: str) -> tuple[int, str, dict[str, Any]]:
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        result = run_cli("crawl", "--sites", str(tmp_path / "sites.yaml"), env={
            "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), **FAST,
            "NEWSARCHIVE_MONITOR_MIN_COVERAGE": json.dumps(THRESHOLDS), "NEWSARCHIVE_ALERT_WEBHOOK": webhook})
    reports = sorted((tmp_path / "archive" / "runs").glob("*.json"))
    return result.returncode, result.stderr, json.loads(reports[-1].read_text())


def test_failed_monitors_are_in_the_report_and_posted_to_the_webhook(tmp_path: Path) -> None:
    seed_history(tmp_path / "archive", [20, 18, 22])
    Recorder.posts = []
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Recorder)) as hook:
        webhook = f"http://127.0.0.1:{hook.server_address[1]}/hooks/T0KEN"
        code, stderr, report = crawl(tmp_path, FixtureSite(articles=days(date(2024, 5, 1), 6)), webhook)
    assert code == 0, stderr[-3000:]
    monitors = report["monitors"]
    assert monitors["passed"] is False
    assert [failure["monitor"] for failure in monitors["failures"]] == ["coverage/fields", "volume/articles"]
    assert "gazette: authors on 0% of 6 records" in monitors["failures"][0]["message"], "the fixture has no bylines"
    assert monitors["failures"][1]["message"].startswith("gazette: 6 articles, under 50% of its median of 20")
    (post,) = Recorder.posts
    assert post["path"] == "/hooks/T0KEN" and post["type"] == "application/json"
    assert post["body"]["crawl_id"] == report["crawl_id"] and post["body"]["failures"] == monitors["failures"]
    assert post["body"]["exit_code"] == 0 and post["body"]["report"].endswith(f"runs/{report['crawl_id']}.json")
    assert "T0KEN" not in stderr, "the webhook's path (its secret) is never logged"


def test_the_webhook_is_named_by_scheme_and_host_only() -> None:
    assert where("https://bot:pa55@hooks.example:8443/services/T0KEN?x=1") == "https://hooks.example:8443"
    assert where("hooks.example/T0KEN") == "(not a URL)"


def test_a_webhook_that_is_down_is_one_warning_and_never_fails_the_run(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens once it is closed
    code, stderr, report = crawl(tmp_path, FixtureSite(articles=days(date(2024, 5, 1), 6)),
                                 f"http://127.0.0.1:{port}/hook")
    assert code == 0, stderr[-3000:]
    assert report["monitors"]["failures"], "authors are missing"
    warnings = [line for line in stderr.splitlines() if "ALERT_WEBHOOK" in line]
    assert len(warnings) == 1 and "not delivered" in warnings[0] and "in the run report" in warnings[0]
