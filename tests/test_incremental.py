"""`newsarchive crawl` is incremental: a second run fetches no article it archived, but re-checks the rest.

Real CLI runs against the fixture site; assertions are on the requests the server saw.
"""

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.store.factory import open_store
from tests.conftest import run_cli
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml
from tests.redis_server import SHORT_IDLE, redis_server

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0"}


def crawl(sites: Path, root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    paths = {"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool")}
    result = run_cli("crawl", "--sites", str(sites), *args, env={**paths, **FAST, **env})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result


def last_report(root: Path) -> dict[str, Any]:
    store = open_store(str(root / "archive"))
    return json.loads(store.get(max(o.key for o in store.list("runs/"))))


def test_second_run_fetches_only_new_articles_and_rechecks_discovery(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 4, 27), 6))
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        crawl(sites, tmp_path)
        assert sorted(site.paths("/news/")) == sorted(site.article_path(d) for d in site.articles)
        counters = last_report(tmp_path)["per_site"]["gazette"]
        assert counters["articles"] == counters["records"] == 6 and counters["fetched"] == len(site.hits) - 1  # robots
        assert counters["discovered"] >= counters["fetched"] and counters["errors"] == 0

        # A new article; a fresh machine (empty local state dir) starts from the archive's state/.
        site.articles.append(date(2024, 5, 3))
        site.clear()
        crawl(sites, tmp_path, NEWSARCHIVE_STATE_DIR=str(tmp_path / "fresh-state"))
        assert site.paths("/news/") == [site.article_path(date(2024, 5, 3))]
        assert last_report(tmp_path)["counts"]["records"] == 1
        for rechecked in ("/", "/robots.txt", "/feed.xml", "/sitemap-index.xml", "/sitemaps/2024-05.xml"):
            assert rechecked in site.paths(), rechecked
        assert "/sitemaps/2024-04.xml" not in site.paths(), "an index child with unchanged lastmod is skipped"

        site.clear()
        crawl(sites, tmp_path, NEWSARCHIVE_STATE_DIR=str(tmp_path / "fresh-state"))
        assert site.paths("/news/") == []
        statuses = {hit.path: (hit.status, "If-None-Match" in hit.headers) for hit in site.hits}
        assert statuses["/feed.xml"] == statuses["/news-sitemap.xml"] == (304, True), "conditional GET"
        assert statuses["/sitemap-index.xml"] == (200, False), "an index is always read in full"
        assert site.paths("/sitemaps/") == []

        site.clear()
        crawl(sites, tmp_path, "--refetch")
        assert sorted(site.paths("/news/")) == sorted(site.article_path(d) for d in site.articles)
    store = open_store(str(tmp_path / "archive"))
    assert len(list(store.list("state/seen/"))) == 4, "one write-once state version per run"


def test_redis_seen_store_is_shared_and_leaves_no_state_file(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 3))
    with redis_server(tmp_path) as redis_url, serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        crawl(sites, tmp_path / "one", REDIS_URL=redis_url, **SHORT_IDLE)
        assert len(site.paths("/news/")) == 3
        site.clear()
        crawl(sites, tmp_path / "one", REDIS_URL=redis_url, NEWSARCHIVE_SPOOL=str(tmp_path / "other-spool"),
              **SHORT_IDLE)
        assert site.paths("/news/") == []
    assert list(open_store(str(tmp_path / "one" / "archive")).list("state/seen/")) == []

