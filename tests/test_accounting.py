"""The run's counts agree with what the server answered: responses by status class, and requests that got no
answer at all (network failures), in the run report, per site, in the summary line and in `status --json`."""

import json
import socket
from collections import Counter
from datetime import date
from pathlib import Path

import yaml

from pipelines.store.factory import open_store
from tests.conftest import run_cli
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_counts_match_the_server_log(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 4), redirects={"/story/1": "/missing-story"})
    with serve_fixture_site(site) as base:
        entry = yaml.safe_load(sites_yaml(base))
        entry["sites"][0]["sections"] = [f"http://127.0.0.1:{closed_port()}/world/"]  # refused: no answer
        sites = tmp_path / "sites.yaml"
        sites.write_text(yaml.safe_dump(entry))
        env = {"ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
               "NEWSARCHIVE_RETRY_TIMES": "0"}
        result = run_cli("crawl", "--sites", str(sites), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Remote control HTTP server" not in result.stderr  # Scrapy 2.19's code-running server stays off
    served = Counter(f"responses_{hit.status // 100}xx" for hit in site.hits)
    assert served["responses_3xx"] == 1 and served["responses_4xx"] >= 1  # the alias, its missing target

    store = open_store(env["ARCHIVE_URI"])
    [report_key] = [o.key for o in store.list("runs/")]
    report = json.loads(store.get(report_key))
    counts, per_site = report["counts"], report["per_site"]["gazette"]
    for klass in ("responses_2xx", "responses_3xx", "responses_4xx", "responses_5xx"):
        assert counts[klass] == served[klass], klass
        assert per_site[klass] == served[klass], klass
    assert counts["responses"] == len(site.hits)
    assert counts["network_failures"] == per_site["network_failures"] == 1
    assert counts["errors"] == 0  # a 404 is the site's answer, not our failure
    assert f"4xx {served['responses_4xx']}" in result.stderr and "1 network failures" in result.stderr  # summary

    status = json.loads(run_cli("status", "--json", env=env).stdout)
    [run] = status["runs"]
    assert run["responses_4xx"] == served["responses_4xx"] and run["network_failures"] == 1
