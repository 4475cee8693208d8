"""Politeness and trap bounds: Crawl-delay, Retry-After, ban detection, calendars and session ids.

Unit tests for the pure parts, then real CLI crawls of the fixture site, asserting on what it saw.
"""

import gzip
import json
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

import brotli
import pytest
from scrapy.core.downloader import Slot
from scrapy.http import HtmlResponse
from scrapy.robotstxt import ProtegoRobotParser

from crawler.discovery.traps import ShapeBudget, url_shape
from crawler.exit_codes import ExitCode
from crawler.middlewares.politeness import BanDetector, apply_floor, is_challenge, retry_after_seconds, robots_delay
from pipelines.extract.urls import strip_session_ids
from tests.conftest import run_cli
from tests.fixture_news_site import CAPTCHA_PAGE, FixtureSite, article_html, days, serve_fixture_site, sites_yaml


@pytest.mark.parametrize("value, seconds", [(b"120", 120.0), (b"Fri, 17 May 2024 10:00:30 GMT", 30.0),
                                            (b"Fri, 17 May 2024 09:00:00 GMT", 0.0), (b"soon", None), (None, None)])
def test_retry_after_values(value: bytes | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=datetime(2024, 5, 17, 10, 0, tzinfo=UTC)) == seconds


@pytest.mark.parametrize("robots, delay", [
    (b"User-agent: *\nCrawl-delay: 2\n", 2.0),
    (b"User-agent: *\nCrawl-delay: 2\nRequest-rate: 1/5s\n", 5.0),
    (b"User-agent: *\nRequest-rate: 10/5s\n", 0.5),
    (b"User-agent: otherbot\nCrawl-delay: 9\n\nUser-agent: *\nDisallow: /private/\n", None),
])
def test_robots_delay_for_our_user_agent(robots: bytes, delay: float | None) -> None:
    assert robots_delay(ProtegoRobotParser(robots, None), "newsarchive/0.1 (+https://example.org)") == delay


def test_floor_holds_against_jitter() -> None:
    slot = Slot(concurrency=1, delay=0.5, jitter=0.5)
    apply_floor(slot, 2.0)
    assert slot.delay == 2.0 and min(slot.download_delay() for _ in range(200)) >= 2.0
    slot = Slot(concurrency=1, delay=8.0, jitter=0.5)
    apply_floor(slot, 2.0)
    assert slot.delay == 8.0 and slot.jitter == 0.5  # already above the floor: untouched


def test_ban_detector_counts_ban_like_responses_among_the_recent_ones() -> None:
    bans = BanDetector(threshold=3)
    assert [bans.observe("a", ban) for ban in (True, False, False, False, False, True, True, False)] == [False] * 8
    assert bans.observe("a", True) and bans.blocked == {"a"}, "3 of the last 6"
    assert not bans.observe("a", True), "blocked once"
    assert not BanDetector(threshold=0).observe("a", True), "0 = never"


def test_challenge_pages_are_recognised_but_articles_about_captchas_are_not() -> None:
    def page(body: bytes, encoding: str = "identity") -> HtmlResponse:
        return HtmlResponse("https://h.example/", body=body,
                            headers={"Content-Type": "text/html", "Content-Encoding": encoding})

    assert is_challenge(page(CAPTCHA_PAGE))
    assert is_challenge(page(gzip.compress(CAPTCHA_PAGE), "gzip"))  # response_downloaded sees encoded bodies
    assert is_challenge(page(brotli.compress(CAPTCHA_PAGE), "br"))
    assert not is_challenge(page(b"\x1f\x8bnot really gzip", "gzip"))
    assert not is_challenge(page(article_html(date(2024, 5, 17)).encode().replace(b"council", b"captcha")))


def test_session_ids_are_stripped_and_shapes_fold_digits() -> None:
    assert strip_session_ids("https://h.example/a;jsessionid=X1?sid=2&page=3") == "https://h.example/a?page=3"
    assert strip_session_ids("https://h.example/a?PHPSESSID=1") == "https://h.example/a"
    assert strip_session_ids("https://h.example/a?q=1") == "https://h.example/a?q=1"
    assert url_shape("https://h.example/calendar/2024/05/?view=m") == url_shape("https://h.example/calendar/1999/12/?view=w")
    budget = ShapeBudget(limit=2)
    assert [budget.allow("s", f"https://h.example/calendar/2024/{m:02d}/") for m in (1, 2, 3)] == [True, True, False]
    assert budget.allow("s", "https://h.example/about") and budget.allow("other", "https://h.example/calendar/2024/03/")


def crawl(sites: Path, root: Path, **env: str) -> tuple[int, str]:
    result = run_cli("crawl", "--sites", str(sites), env={
        "ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool"), **env})
    return result.returncode, result.stdout + result.stderr


def test_crawl_delay_and_retry_after_are_honoured(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 3), crawl_delay=1.0)
    flaky = site.article_path(site.articles[0])
    site.retry_after[flaky] = 3
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        code, output = crawl(tmp_path / "sites.yaml", tmp_path, NEWSARCHIVE_DEPTH_LIMIT="1",
                             NEWSARCHIVE_MAX_URLS_PER_SHAPE="1")
    assert code == 0, output[-3000:]
    hits = sorted(site.hits, key=lambda hit: hit.at)
    assert len(hits) >= 10
    gaps = [later.at - earlier.at for earlier, later in pairwise(hits)]
    assert min(gaps) >= 0.95, f"Crawl-delay: 1 not honoured: {[round(g, 2) for g in gaps]}"
    throttled, retried = [hit for hit in hits if hit.path == flaky]
    assert throttled.status == 429 and retried.status == 200
    assert retried.at - throttled.at >= 3.0, "Retry-After: 3 not honoured"


def test_retry_after_holds_back_a_site_without_any_delay(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 2))
    flaky = site.article_path(site.articles[0])
    site.retry_after[flaky] = 2
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))  # delay: 0
        code, output = crawl(tmp_path / "sites.yaml", tmp_path, NEWSARCHIVE_DEPTH_LIMIT="1",
                             NEWSARCHIVE_AUTOTHROTTLE_ENABLED="false", NEWSARCHIVE_DOWNLOAD_DELAY="0")
    assert code == 0, output[-3000:]
    throttled, retried = [hit for hit in site.hits if hit.path == flaky]
    assert retried.at - throttled.at >= 2.0
    in_flight = 0.5  # requests already sent when the 429 came back (4 per host at a time) may still arrive
    assert not [hit for hit in site.hits if throttled.at + in_flight < hit.at < throttled.at + 1.9], "the host waits"


def test_traps_are_bounded_and_robots_disallow_obeyed(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 3))
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        code, output = crawl(tmp_path / "sites.yaml", tmp_path, NEWSARCHIVE_DEPTH_LIMIT="6",
                             NEWSARCHIVE_MAX_URLS_PER_SHAPE="5", NEWSARCHIVE_AUTOTHROTTLE_ENABLED="false",
                             NEWSARCHIVE_DOWNLOAD_DELAY="0")
    assert code == 0, output[-3000:]
    calendar = site.paths("/calendar/")
    assert 2 <= len(calendar) <= 10, calendar  # 5 month pages + 5 day pages at most
    assert site.paths("/about") == ["/about"], "session-id variants are one URL"
    assert not [path for path in site.paths() if "sid=" in path or "jsessionid" in path]
    assert site.paths("/private/") == []
    assert sorted(site.paths("/news/")) == sorted(site.article_path(d) for d in site.articles)


def test_captcha_wall_blocks_the_site_with_exit_code_5(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 10), captcha=True)  # sections fine, articles walled off
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        code, output = crawl(tmp_path / "sites.yaml", tmp_path, NEWSARCHIVE_BAN_THRESHOLD="3",
                             NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN="1", NEWSARCHIVE_DOWNLOAD_DELAY="0",
                             NEWSARCHIVE_AUTOTHROTTLE_ENABLED="false")
    assert code == ExitCode.BLOCKED, output[-3000:]
    assert "blocked by: gazette" in output and "'newsarchive/site/gazette/blocked': 1" in output
    assert len(site.paths("/news/")) == 3, "the 7 other articles are never requested"
    assert site.paths("/calendar/") == [], "nor anything else scheduled later"
    (report,) = [json.loads(path.read_text()) for path in (tmp_path / "archive" / "runs").glob("*.json")]
    assert report["per_site"]["gazette"]["blocked"] is True
