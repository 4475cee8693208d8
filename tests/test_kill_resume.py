"""kill -9 at chosen points, then the next run: no article whose record was written is fetched again, nothing
answered is lost, no two records share an id, and no process of the killed crawl lives on. Redirect aliases
of archived articles are remembered and not fetched again.

The invariant behind it (pipelines.run.session): a record's URLs are in the seen-store as soon as its line
is written, and the records files a killed run leaves in the spool are read into the seen-store again before
they are uploaded. bench/kill_soak.py kills at random points instead, many times, under CPU load.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from crawler.config import load_settings
from crawler.session import open_archive_session
from pipelines.layout import records_key_for
from pipelines.store.spool import archive_spool_root
from tests.conftest import run_cli
from tests.crash_checks import (
    archive_problems,
    archive_records,
    processes_left,
    record_paths,
    spool_records,
    start_crawl,
    wait_for,
)
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
        "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "2"}
ARTICLES = days(date(2024, 4, 1), 24)


def rerun(sites: Path, root: Path) -> None:
    result = run_cli("crawl", "--sites", str(sites), env={"ARCHIVE_URI": str(root / "archive"),
                                                           "NEWSARCHIVE_SPOOL": str(root / "spool"), **FAST})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


@pytest.mark.parametrize("after_records", [1, 5])
def test_kill_9_after_records_then_rerun_refetches_none_and_loses_none(tmp_path: Path, after_records: int) -> None:
    site = FixtureSite(articles=list(ARTICLES), article_delay=0.15)
    site.redirects["/story/old"] = site.article_path(ARTICLES[-1])  # an alias, linked from the homepage
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        crawl = start_crawl(sites, tmp_path, FAST)
        try:
            wait_for(lambda: len(spool_records(tmp_path / "spool")) >= after_records, what="records in the spool")
            crawl.kill()
            written = spool_records(tmp_path / "spool")
            assert not processes_left(crawl.pid, within=5), "a process of the killed crawl lives on"
        finally:
            crawl.clean_up()
        assert len(written) < len(ARTICLES), "killed mid-way"
        site.clear()
        site.article_delay = 0
        rerun(sites, tmp_path)
    refetched = set(site.paths("/news/")) | set(site.paths("/story/"))
    assert not record_paths(written) & refetched, "an article whose record was written was fetched again"
    records = archive_records(tmp_path / "archive")
    assert {r["url"].split("/", 3)[3] for r in records} == {site.article_path(d)[1:] for d in ARTICLES}, "lost"
    assert archive_problems(tmp_path / "archive") == []
    left = [p for p in (tmp_path / "spool").rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert left == [], "the rerun salvaged and uploaded everything"


def test_redirect_alias_of_an_archived_article_is_remembered_not_refetched(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 4, 27), 3))
    target = site.article_path(site.articles[0])
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        rerun(sites, tmp_path)
        site.redirects["/story/3"] = target
        site.clear()
        rerun(sites, tmp_path)  # the alias is new: asked once, its 301 archived, the archived target not fetched
        assert site.paths("/story/") == ["/story/3"] and target not in site.paths()
        site.clear()
        rerun(sites, tmp_path)  # now it is known
        assert site.paths("/story/") == [] and site.paths("/news/") == []
    records = archive_records(tmp_path / "archive")
    assert len(records) == 3 and archive_problems(tmp_path / "archive") == []


def test_an_alias_and_its_article_in_one_run_make_one_record(tmp_path: Path) -> None:
    site = FixtureSite(articles=days(date(2024, 4, 27), 3))
    target = site.article_path(site.articles[-1])  # linked from the homepage, the feed and the alias
    site.redirects.update({"/story/3": target, f"{target}-amp": target})
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        rerun(sites, tmp_path)
    records = archive_records(tmp_path / "archive")
    assert len(records) == 3 and archive_problems(tmp_path / "archive") == []


def test_recovery_remembers_the_records_a_killed_run_left_before_uploading_them(tmp_path: Path) -> None:
    """The seen-store learns a salvaged records file's URLs even when the killed run never marked them."""
    archive = tmp_path / "archive"
    settings = load_settings({"ARCHIVE_URI": str(archive), "SPOOL": str(tmp_path / "spool")}, environ={})
    warc_key = "warc/2024/05/01/NEWSARCHIVE-20240501000000-00000-host-12345678.warc.gz"
    records_file = archive_spool_root(tmp_path / "spool", str(archive)) / f"{records_key_for(warc_key)}.open"
    records_file.parent.mkdir(parents=True)
    urls = [f"https://herald.example/2024/05/01/story-{n}" for n in range(3)]
    lines = [gzip.compress(json.dumps({"url": url, "requested_url": url + "?utm_source=x", "canonical_url": url,
                                       "site": "herald"}).encode() + b"\n") for url in urls]
    records_file.write_bytes(b"".join(lines) + lines[0][:20])  # and a torn tail
    session = open_archive_session(settings)
    assert session.seen is not None
    assert all(session.seen.seen(url) for url in urls)
    salvaged = records_file.with_name(records_file.name.removesuffix(".open"))
    assert salvaged.exists() and not records_file.exists(), "salvaged to its last complete record"
    assert archive_records(archive) == [], "no WARC of it in the archive: it waits in the spool with its WARC"
    assert not session.seen.seen("https://herald.example/2024/05/01/story-9")


def test_a_records_file_recovery_uploads_leaves_its_urls_committed(tmp_path: Path) -> None:
    """Recovery uploads a salvaged records file whose WARC is in the archive: its URLs must be committed to the
    seen-store first. They were only batched, so a kill -9 after the upload (before the batch's commit) left them
    nowhere: the next run refetched those articles and wrote their records again, with the same ids."""
    import sqlite3

    archive = tmp_path / "archive"
    settings = load_settings({"ARCHIVE_URI": str(archive), "SPOOL": str(tmp_path / "spool"),
                              "STATE_DIR": str(tmp_path / "state")}, environ={})
    warc_key = "warc/2024/05/01/NEWSARCHIVE-20240501000000-00000-host-12345678.warc.gz"
    (archive / warc_key).parent.mkdir(parents=True)
    (archive / warc_key).write_bytes(b"")  # uploaded by the killed run; its records file was not
    records_file = archive_spool_root(tmp_path / "spool", str(archive)) / records_key_for(warc_key)
    records_file.parent.mkdir(parents=True)
    url = "https://herald.example/2024/05/01/story"
    records_file.write_bytes(gzip.compress(json.dumps({"url": url, "site": "herald"}).encode() + b"\n"))
    session = open_archive_session(settings)  # recovery; the process is then killed: nothing more is committed
    assert (archive / records_key_for(warc_key)).exists() and not records_file.exists()
    (db,) = (tmp_path / "state").rglob("seen.sqlite")
    with contextlib.closing(sqlite3.connect(db)) as committed:
        assert committed.execute("SELECT url FROM seen").fetchall() == [(url,)]
    session.spool.close()
