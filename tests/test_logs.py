"""LOG_FORMAT=json: every line a crawl writes to stderr is one JSON object, Scrapy's and ours alike."""

import json
import logging
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from crawler.logs import FIELDS, JsonFormatter
from tests.conftest import run_cli
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0"}


def json_lines(stderr: str) -> list[dict]:
    """Every stderr line parsed; a line that is not one JSON object fails the test, naming it."""
    parsed = []
    for number, line in enumerate(stderr.splitlines(), 1):
        try:
            value = json.loads(line)
        except ValueError:
            raise AssertionError(f"stderr line {number} is not JSON: {line[:300]!r}") from None
        assert isinstance(value, dict) and set(FIELDS) <= set(value), line[:300]
        parsed.append(value)
    return parsed


def test_a_crawl_logs_one_json_object_per_line(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 3))
    site.retry_after[site.article_path(site.articles[0])] = 1  # a 429 and its retry in the log
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        result = run_cli("crawl", "--sites", str(tmp_path / "sites.yaml"), env={
            "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
            "NEWSARCHIVE_LOG_FORMAT": "json", "NEWSARCHIVE_LOG_LEVEL": "DEBUG", "NEWSARCHIVE_PROGRESS": "auto",
            "NEWSARCHIVE_PROGRESS_INTERVAL": "0.5", **FAST})
    assert result.returncode == 0, result.stderr[-3000:]
    lines = json_lines(result.stderr)
    assert result.stdout == "", "the summary is logged too"
    crawled = [line for line in lines if line["event"] == "crawled"]
    article = base + site.article_path(site.articles[1])
    assert any(line["url"] == article and line["site"] == "gazette" and line["logger"] == "scrapy.core.engine"
               for line in crawled), "Scrapy's 'Crawled (200)' lines name the URL and the site"
    assert any(line["event"] == "progress" and line["data"]["responses"] > 0 for line in lines)
    summary = [line for line in lines if line["event"] == "summary"]
    assert summary[0]["message"].startswith("run ") and summary[0]["data"]["articles"] == 3
    assert any("Dumping Scrapy stats" in line["message"] for line in lines), "multi-line messages stay one line"
    assert {line["level"] for line in lines} >= {"DEBUG", "INFO"}
    assert all(line["time"].endswith("Z") for line in lines)


def test_text_stays_the_default(tmp_path: Path) -> None:
    result = run_cli("crawl", "--sites", str(tmp_path / "missing.yaml"), env={"ARCHIVE_URI": str(tmp_path)})
    assert result.returncode == 2 and result.stderr.startswith("newsarchive: ")


def test_errors_before_the_crawl_are_json_lines_too(tmp_path: Path) -> None:
    result = run_cli("crawl", "--sites", str(tmp_path / "missing.yaml"), env={
        "ARCHIVE_URI": str(tmp_path), "NEWSARCHIVE_LOG_FORMAT": "json", "NEWSARCHIVE_DEPTH_LIMIT": "deep"})
    assert result.returncode == 2
    (line,) = json_lines(result.stderr)
    assert line["level"] == "ERROR" and line["event"] == "error" and "NEWSARCHIVE_DEPTH_LIMIT" in line["message"]


def test_a_bad_log_format_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("crawl", env={"ARCHIVE_URI": str(tmp_path), "NEWSARCHIVE_LOG_FORMAT": "xml"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "newsarchive: NEWSARCHIVE_LOG_FORMAT='xml': expected one of text, json (default text)"]


def test_exceptions_and_odd_messages_stay_on_one_line() -> None:
    formatter = JsonFormatter()
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "two\nlines %s", ("ü",), sys.exc_info())
    text = formatter.format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "two\nlines ü" and "ValueError: bad\nvalue" in line["exc"]
    broken = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items", ("many",), None)  # a bad %-format
    assert json.loads(formatter.format(broken))["message"] == "%d items ('many',)"


def test_sigterm_in_json_mode_keeps_every_line_json(tmp_path: Path) -> None:
    """`podman stop` of a container that logs JSON: the signal handler's own lines are JSON too."""
    site = FixtureSite(articles=days(date(2024, 5, 1), 3))
    site.hold = site.article_path(site.articles[0])
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        env = {**os.environ, **FAST, "ARCHIVE_URI": str(tmp_path / "archive"),
               "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), "NEWSARCHIVE_LOG_FORMAT": "json"}
        crawl = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sites", str(tmp_path / "sites.yaml")],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert site.held.wait(120), "the crawl never asked for the held article"
            crawl.send_signal(signal.SIGTERM)
            stdout, stderr = crawl.communicate(timeout=60)
        finally:
            site.released.set()
            if crawl.poll() is None:
                crawl.kill()
    assert crawl.returncode == 130, stderr[-3000:]
    lines = json_lines(stderr)
    assert stdout == ""
    assert any(line["event"] == "shutdown" and "SIGTERM: stopping" in line["message"] for line in lines)
    assert any(line["event"] == "summary" and line["message"].startswith("interrupted") for line in lines)


def test_demo_and_import_log_json_too(tmp_path: Path) -> None:
    """The other commands that run a pipeline: a demo crawl, then an import of its WARC beside a truncated copy
    (corrupt input: warnings), every stderr line JSON."""
    env = {"ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
           "NEWSARCHIVE_LOG_FORMAT": "json"}
    demo = run_cli("demo", "--port", "0", env=env)
    assert demo.returncode == 0, demo.stderr[-3000:]
    json_lines(demo.stderr)
    (warc,) = (tmp_path / "archive").rglob("*.warc.gz")
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(warc.read_bytes()[: warc.stat().st_size // 2])
    imported = run_cli("import", str(warc), str(broken), env={**env, "ARCHIVE_URI": str(tmp_path / "imported"),
                                                              "NEWSARCHIVE_SPOOL": str(tmp_path / "spool2")})
    assert imported.returncode in (0, 1), imported.stderr[-3000:]
    assert imported.stdout == ""
    lines = json_lines(imported.stderr)
    sources = {line["data"]["source"]: line["data"]["status"] for line in lines if line["event"] == "source"}
    assert set(sources) == {str(warc), str(broken)}
    assert any(line["event"] == "summary" and line["message"].startswith("run ") for line in lines)


def test_a_site_that_cannot_be_reached_is_a_line_per_error_not_a_traceback(tmp_path: Path) -> None:
    """Scrapy logs a robots.txt it could not download (refused, reset, timed out: a site that is down) with the
    whole traceback; the line already names the request and the error."""
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - name: down\n    homepage: http://127.0.0.1:9/\n    allow_private_network: true\n")
    result = run_cli("crawl", "--sites", str(sites), env={"ARCHIVE_URI": str(tmp_path / "archive"),
                                                          "NEWSARCHIVE_SPOOL": str(tmp_path / "spool")})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]  # fetched nothing
    assert "Traceback" not in output, output[-3000:]
    assert "Error downloading <GET http://127.0.0.1:9/>" in output and "Connection" in output


def test_twisted_critical_errors_are_json_lines_only(tmp_path: Path) -> None:
    """Twisted prints an unhandled Deferred error as text on stderr as well (a Redis outage of a shared crawl
    made one): in JSON mode it is a JSON line and nothing else."""
    script = ("import gc\nfrom crawler.config import load_settings\nfrom crawler.logs import crawler_process\n"
              "process = crawler_process(load_settings())\nfrom twisted.internet import defer\n"
              "failed = defer.fail(RuntimeError('frontier away'))\ndel failed\ngc.collect()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "ARCHIVE_URI": str(tmp_path), "NEWSARCHIVE_LOG_FORMAT": "json"},
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = json_lines(result.stderr)
    assert any(line["message"] == "Unhandled error in Deferred:" for line in lines)
    assert any("RuntimeError: frontier away" in (line.get("exc") or "") for line in lines)
