"""The hostile site's memory cases, crawled on their own: decompression bombs of every content coding (1 GiB
inflated) as pages, sitemaps and feeds, a gzip-file sitemap bomb, two endless streams, a 30 MB page with a 10 MB
JSON blob and a 40 MB sitemap, beside one ordinary article. Peak RSS of the crawl's whole process tree must stay
under 1.5 GB, and nothing may be lost. (Crawled apart from test_hostile_site.py because today these cases block
the reactor for tens of seconds each, which would make every other case's timing depend on them.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile import checks
from tests.hostile.outputs import ARCHIVE_MAX_RESPONSE_SIZE, CACHE, HostileRun, run_hostile
from tests.hostile.server import CODINGS, MEMORY_GROUPS, HostileSite

# The module's crawls run in the first test's setup: give it their harness timeouts and some.
pytestmark = pytest.mark.timeout(1200)


CASES = HostileSite(Path("/nonexistent/secret.html"), CACHE, "memory")
BOMBS = [c.name for c in CASES.cases if c.klass == "bomb" and not c.name.startswith("control-article")]
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    # One crawl per group, each into its own archive (see MEMORY_GROUPS); all of them in one crawl:
    # tests/test_memory_bounds.py
    workdir = tmp_path_factory.mktemp("hostile-memory")
    return run_hostile(workdir, "memory", [
        (group, ["crawl"], {"ARCHIVE_URI": str(workdir / f"archive-{group}"),
                            "NEWSARCHIVE_SPOOL": str(workdir / f"spool-{group}"),
                            # today inflating and parsing one bomb blocks the reactor for up to 25 s: a download
                            # in flight then would time out, and whether one is in flight is a matter of timing
                            "NEWSARCHIVE_DOWNLOAD_TIMEOUT": "60"}, 150)
        for group in MEMORY_GROUPS])


@pytest.mark.parametrize("group", MEMORY_GROUPS)
def test_crawl_exits_0(run: HostileRun, group: str) -> None:
    phase = run.phase(group)
    assert phase.returncode == 0, phase.stderr[-3000:]


@pytest.mark.parametrize("group", MEMORY_GROUPS)
def test_no_traceback(run: HostileRun, group: str) -> None:
    checks.assert_no_traceback(run, group)


def test_crawl_ends_in_time(run: HostileRun) -> None:
    checks.assert_ended_in_time(run)


@pytest.mark.parametrize("group", MEMORY_GROUPS)
def test_peak_rss_bounded(run: HostileRun, group: str) -> None:
    checks.assert_rss_bounded(run, group)


def test_no_process_outlives_the_crawl(run: HostileRun) -> None:
    checks.assert_no_leftover_processes(run)


class TestArchive(checks.ArchiveChecks):
    """warcio check, lost captures, records' pointers, CDXJ, reports (tests/hostile/checks.py)."""


@pytest.mark.parametrize("name", BOMBS)
def test_bomb_archived_raw(run: HostileRun, name: str) -> None:
    coding = next((c for c in CODINGS if name.endswith(f"-{c}")), None)
    checks.assert_raw_capture(run, run.site.by_name(name), coding)


@pytest.mark.parametrize("name", ["stream-endless-chunked", "stream-endless-close"])
def test_endless_stream_cut_at_the_cap_and_archived_truncated(run: HostileRun, name: str) -> None:
    (capture, *_) = [c for c in run.responses(run.site.by_name(name).url) if c.type == "response"]
    assert capture.truncated == "length"
    assert ARCHIVE_MAX_RESPONSE_SIZE <= len(capture.payload) <= ARCHIVE_MAX_RESPONSE_SIZE + (1 << 20)


@pytest.mark.parametrize("group", MEMORY_GROUPS)
def test_article_beside_the_bombs_is_recorded(run: HostileRun, group: str) -> None:
    checks.assert_record_text(run, run.site.by_name(f"control-article-{group}"))


def test_huge_page_text_is_extracted(run: HostileRun) -> None:
    checks.assert_record_text(run, run.site.by_name("huge-page"))


def test_huge_page_archived_whole(run: HostileRun) -> None:
    checks.assert_raw_capture(run, run.site.by_name("huge-page"), None)


def test_huge_sitemap_entries_are_crawled(run: HostileRun) -> None:
    checks.assert_record_text(run, run.site.by_name("huge-sitemap-article"))
