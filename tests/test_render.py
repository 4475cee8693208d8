"""Browser capture (`render: true`): a page whose article text only exists after its script fetched it as JSON.

Crawled twice, for real, against a local site (tests/render_site.py): without `render` the record has no article
text; with it the record has the text and `rendered: true`, the WARC holds every exchange the page made (the
JSON endpoint's included, stored decoded), the in-browser network guard blocked a private address, and a real
pywb replays the capture so that headless Chromium shows the text again. Real Chromium throughout (the Debian
package; tools/install-test-deps.sh), driven by scrapy-playwright in the crawl and by Playwright for the replay.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.store.factory import open_store
from pipelines.warc.lint import lint_warc
from tests.archive_checks import ArchiveContents, WarcRecordView, record_at_pointer
from tests.conftest import dumped_stats, require, run_cli
from tests.process_tree import process_table, tree_members
from tests.render_site import (
    ARTICLE_PATH,
    HEADLINE,
    HOG_PATH,
    HUNG_PATH,
    HUNG_TOKEN,
    JSON_PATH,
    KILLER_PATH,
    KILLER_TOKEN,
    PARAGRAPHS,
    PHOTO_PATH,
    PHOTO_SIZE,
    PRIVATE_URL,
    STALL_PATH,
    TOKEN,
    RenderSite,
    serve_render_site,
    sites_yaml,
    story_json,
)
from tests.test_replay import pywb_serving, timestamp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RESOURCE_CAP = 100_000  # under the photo's size: it must be archived cut


@dataclass
class Crawl:
    run: subprocess.CompletedProcess[str]
    archive: Path
    contents: ArchiveContents

    def record(self) -> dict | None:
        found = [r for r in self.contents.records if r["url"].endswith(ARTICLE_PATH)]
        assert len(found) <= 1
        return found[0] if found else None

    def responses_to(self, path: str) -> list[WarcRecordView]:
        return [r for r in self.contents.all_warc_records() if r.type == "response" and r.uri.endswith(path)]


@dataclass
class Crawled:
    base: str
    site: RenderSite
    plain: Crawl
    rendered: Crawl


def crawl(root: Path, base: str, *, render: bool, name: str, homepage: str = "/",
          env: dict[str, str] | None = None, revisit: list[str] | None = None) -> Crawl:
    sites = root / f"{name}.yaml"
    sites.write_text(sites_yaml(base, render=render, homepage=homepage, revisit=revisit))
    archive = root / f"{name}-archive"
    run = run_cli("crawl", "--sites", str(sites), timeout=300, env={
        "ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(root / f"{name}-spool"),
        "NEWSARCHIVE_CHROMIUM_PATH": CHROMIUM, "NEWSARCHIVE_RENDER_MAX_RESOURCE_SIZE": str(RESOURCE_CAP),
        "NEWSARCHIVE_EXTRACT_WORKERS": "0", **(env or {})})
    return Crawl(run, archive, ArchiveContents.read(open_store(str(archive))))


def needs_browser() -> None:
    require(Path(CHROMIUM).is_file(), "headless Chromium is not installed (tools/install-test-deps.sh)")
    pytest.importorskip("scrapy_playwright", reason="the render extra is not installed (pip install '.[render]')")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    needs_browser()
    root = tmp_path_factory.mktemp("render")
    site = RenderSite()
    with serve_render_site(site) as base:
        plain = crawl(root, base, render=False, name="plain")
        plain_paths = len(site.paths())
        rendered = crawl(root, base, render=True, name="rendered")
        site.requests[:] = site.requests[plain_paths:]  # keep what the rendered crawl asked for
        yield Crawled(base, site, plain, rendered)


def test_both_crawls_end_cleanly(crawled: Crawled) -> None:
    for crawl in (crawled.plain, crawled.rendered):
        assert crawl.run.returncode == 0, crawl.run.stderr[-4000:]
        assert "Traceback" not in crawl.run.stderr, crawl.run.stderr[-4000:]


def test_without_render_the_record_has_no_article_text(crawled: Crawled) -> None:
    record = crawled.plain.record()
    assert record is None or TOKEN not in record["text"]
    assert record is None or record["rendered"] is False
    assert not crawled.plain.responses_to(JSON_PATH)  # no script ran: the JSON was never fetched


def test_with_render_the_record_has_the_text_and_says_rendered(crawled: Crawled) -> None:
    record = crawled.rendered.record()
    assert record is not None, crawled.rendered.run.stderr[-4000:]
    assert record["rendered"] is True
    assert record["title"] == HEADLINE
    for paragraph in PARAGRAPHS:
        assert paragraph in record["text"]
    assert record["word_count"] >= 100


def test_the_record_points_at_the_document_as_the_server_sent_it(crawled: Crawled) -> None:
    record = crawled.rendered.record()
    assert record is not None
    view = record_at_pointer(open_store(str(crawled.rendered.archive)), record)
    assert view.type == "response" and view.uri.endswith(ARTICLE_PATH)
    assert b'<div id="story"></div>' in view.raw_payload  # the page as received, not the rendered DOM
    assert TOKEN.encode() not in view.raw_payload


def test_the_warc_holds_the_json_exchange_decoded_with_fixed_framing(crawled: Crawled) -> None:
    (response,) = crawled.rendered.responses_to(JSON_PATH)
    assert response.http_status == "200"
    assert response.raw_payload == story_json()  # stored decoded: the browser hands bodies over decoded
    headers = {name.lower(): value for name, value in response.http_headers}
    assert headers["x-orig-content-encoding"] == "gzip" and "content-encoding" not in headers
    assert headers["content-length"] == str(len(story_json()))
    assert int(headers["x-orig-content-length"]) < len(story_json())  # the length of the gzip body sent
    requests = [r for r in crawled.rendered.contents.all_warc_records()
                if r.type == "request" and r.concurrent_to == response.record_id]
    assert len(requests) == 1  # its request record, linked
    # The request record holds what the browser reported sending, and the server saw each of those headers so
    # (Chromium's network stack adds more under interception: Accept-Encoding, Sec-Fetch-*; docs/rendering.md).
    (seen,) = [{name.lower(): value for name, value in headers.items()}
               for headers in crawled.site.headers_of(JSON_PATH)]
    (request,) = requests
    sent = {name.lower(): value for name, value in request.http_headers}
    assert seen["user-agent"].startswith("newsarchive/"), seen
    assert {name: seen.get(name) for name in sent} == sent


def test_every_exchange_of_the_page_is_archived(crawled: Crawled) -> None:
    uris = {r.uri.removeprefix(crawled.base) for r in crawled.rendered.contents.all_warc_records()
            if r.type == "response"}
    assert {ARTICLE_PATH, "/static/story.js", JSON_PATH, PHOTO_PATH} <= uris


def test_a_resource_over_the_cap_is_archived_cut(crawled: Crawled) -> None:
    (photo,) = crawled.rendered.responses_to(PHOTO_PATH)
    assert len(photo.raw_payload) <= RESOURCE_CAP < PHOTO_SIZE


def test_the_browser_never_reached_a_private_address(crawled: Crawled) -> None:
    assert not crawled.rendered.responses_to(PRIVATE_URL.rsplit("/", 1)[-1])
    blocked = dumped_stats(crawled.rendered.run.stderr, "newsarchive/render/blocked/")
    assert blocked.get("private_network", 0) >= 1, crawled.rendered.run.stderr[-3000:]


def test_rendered_warcs_pass_lint_and_verify(crawled: Crawled) -> None:
    warcs = [crawled.rendered.archive / key for key in crawled.rendered.contents.warcs]
    for path in warcs:
        assert lint_warc(path) == [], path
    verify = run_cli("warc", "verify", *map(str, warcs))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_pywb_replays_the_page_with_its_text_in_chromium(crawled: Crawled, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    record = crawled.rendered.record()
    assert record is not None
    warcs = [crawled.rendered.archive / key for key in crawled.rendered.contents.warcs]
    with pywb_serving(warcs, tmp_path) as port, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/c/{timestamp(record)}mp_/{record['url']}", wait_until="load")
            page.wait_for_selector("#story p", timeout=30_000)
            text = page.inner_text("#story")
        finally:
            browser.close()
    for paragraph in PARAGRAPHS:
        assert paragraph in text
    assert json.loads(story_json())["headline"] == HEADLINE


def test_a_rendered_article_edited_in_its_json_gets_version_2(tmp_path: Path) -> None:
    """A revisit of a render site asks for the page in full: its shell is unchanged (the server answers a
    conditional GET with 304), the edit is in the JSON its script loads."""
    needs_browser()
    site = RenderSite()
    bounds = {"NEWSARCHIVE_RENDER_PAGE_TIMEOUT": "8", "NEWSARCHIVE_RENDER_SETTLE_TIME": "3",
              "NEWSARCHIVE_RETRY_TIMES": "0"}
    note = "Correction: an earlier version of this article gave the tunnel's daily traffic as forty thousand vehicles."
    with serve_render_site(site) as base:
        crawl(tmp_path, base, render=True, name="revisited", revisit=["1s", "1h"], env=bounds)
        time.sleep(1.5)  # the first revisit is due
        with site.lock:
            site.paragraphs[1] = site.paragraphs[1].replace("forty thousand", "fifty thousand")
            site.paragraphs.append(note)
        before = len(site.paths())
        second = crawl(tmp_path, base, render=True, name="revisited", revisit=["1s", "1h"], env=bounds)
        asked = site.requests[before:]
    assert second.run.returncode == 0, second.run.stderr[-3000:]
    assert [headers.get("If-Modified-Since") for path, headers in asked if path == ARTICLE_PATH] == [None]
    assert JSON_PATH in [path for path, _ in asked]
    versions = sorted((r for r in second.contents.records if r["url"].endswith(ARTICLE_PATH)),
                      key=lambda r: r["version"])
    assert [r["version"] for r in versions] == [1, 2]
    latest = versions[-1]
    assert latest["rendered"] and "fifty thousand" in latest["text"] and latest["text"].endswith(note)
    assert latest["discovery"]["via"] == "revisit"
    changes = latest["changes"]
    assert (changes["paragraphs_added"], changes["paragraphs_edited"], changes["notice"]["position"]) == (1, 1, "end")


# -- the bounds, attacked: a page that eats its heap, one that never loads, one whose visit kills the browser ------

@dataclass
class Hostile:
    site: RenderSite
    crawl: Crawl

    def stats(self, prefix: str) -> dict[str, int]:
        return dumped_stats(self.crawl.run.stderr, prefix)

    def record_of(self, path: str) -> dict | None:
        found = [r for r in self.crawl.contents.records if r["url"].endswith(path)]
        return found[0] if found else None


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    needs_browser()
    root = tmp_path_factory.mktemp("render-hostile")
    site = RenderSite()
    with serve_render_site(site) as base:
        run = crawl(root, base, render=True, name="hostile", homepage="/hostile", env={
            "NEWSARCHIVE_RENDER_PAGE_TIMEOUT": "8", "NEWSARCHIVE_RENDER_SETTLE_TIME": "3",
            "NEWSARCHIVE_RENDER_JS_HEAP": str(64 << 20), "NEWSARCHIVE_RENDER_PAGES_PER_CONTEXT": "1",
            "NEWSARCHIVE_RETRY_TIMES": "2"})
        yield Hostile(site, run)


def test_hostile_pages_do_not_take_the_crawl_down(hostile: Hostile) -> None:
    run = hostile.crawl.run
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
    assert run.returncode in (0, 1), run.stderr[-4000:]
    record = hostile.record_of(ARTICLE_PATH)  # the well-behaved article, rendered in between
    assert record is not None and TOKEN in record["text"] and record["rendered"] is True


def test_a_page_over_its_heap_crashes_alone_and_its_capture_stays(hostile: Hostile) -> None:
    assert hostile.stats("newsarchive/render/").get("crashes", 0) >= 1, hostile.crawl.run.stderr[-3000:]
    assert hostile.crawl.responses_to(HOG_PATH)  # its document was archived before the crash
    assert hostile.record_of(HOG_PATH) is None


def test_a_page_that_never_loads_times_out(hostile: Hostile) -> None:
    assert hostile.stats("newsarchive/render/").get("failures", 0) >= 2  # the stalled page and its retry
    assert hostile.crawl.responses_to(STALL_PATH)
    assert hostile.record_of(STALL_PATH) is None


def test_a_page_whose_load_event_never_comes_is_taken_as_it_is(hostile: Hostile) -> None:
    """Its document is in, only a tracking pixel hangs: the record has the text, as a plain fetch would."""
    record = hostile.record_of(HUNG_PATH)
    assert record is not None and record["rendered"] is True and record["text"].count(HUNG_TOKEN) == 4


def test_a_killed_browser_is_restarted_and_loses_no_written_capture(hostile: Hostile) -> None:
    assert hostile.site.killed and hostile.site.killed[0] > 0, "no browser process was found to kill"
    assert hostile.stats("playwright/").get("browser_count", 0) >= 2
    # The first visit's document was written before the kill, the retry's after: both are in the WARC.
    assert len(hostile.crawl.responses_to(KILLER_PATH)) >= 2
    record = hostile.record_of(KILLER_PATH)
    assert record is not None and KILLER_TOKEN in record["text"] and record["rendered"] is True


def test_each_page_gets_a_fresh_context_and_old_ones_are_closed(hostile: Hostile) -> None:
    counts = hostile.stats("playwright/")
    assert counts.get("context_count", 0) >= 5  # one per rendered page (RENDER_PAGES_PER_CONTEXT=1)
    assert counts.get("context_count/max_concurrent", 0) < counts["context_count"]


# -- start-up: what a machine that cannot render says, before anything is fetched ----------------------------------

def test_a_bad_chromium_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text(sites_yaml("http://127.0.0.1:9", render=True))
    run = run_cli("crawl", "--sites", str(sites), env={
        "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
        "NEWSARCHIVE_CHROMIUM_PATH": str(tmp_path / "no-such-chromium")})
    assert run.returncode == 2, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    (line,) = [line for line in run.stderr.splitlines() if "NEWSARCHIVE_CHROMIUM_PATH" in line]
    assert "no executable there" in line
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").rglob("*.warc.gz"))


def test_a_crawl_without_render_sites_starts_no_browser(crawled: Crawled) -> None:
    assert "scrapy-playwright" not in crawled.plain.run.stderr
    assert "Launching browser" in crawled.rendered.run.stderr


# -- stopping a rendered crawl: Ctrl-C and kill -9 leave no browser behind -----------------------------------------

def browser_processes(pids: set[int]) -> list[int]:
    """The Chromium processes among `pids` that are still alive."""
    alive = []
    for pid in pids:
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if os.path.basename(argv0) == b"chromium":
            alive.append(pid)
    return alive


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_a_stopped_rendered_crawl_leaves_no_browser_running(tmp_path: Path, how: str) -> None:
    needs_browser()
    site = RenderSite()
    with serve_render_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base, render=True, homepage="/hostile"))  # the stalled page keeps it busy
        env = {**os.environ, "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
               "NEWSARCHIVE_CHROMIUM_PATH": CHROMIUM, "NEWSARCHIVE_PROGRESS": "plain"}
        crawl = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sites", str(sites)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while not browser_processes(tree_members(crawl.pid, process_table())):
                assert crawl.poll() is None and time.monotonic() < deadline, "no browser was started"
                time.sleep(0.2)
            time.sleep(2)  # pages in flight
            tree = tree_members(crawl.pid, process_table())
            crawl.send_signal(getattr(signal, how))
            _, stderr = crawl.communicate(timeout=60)
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.wait()
    if how == "SIGINT":
        assert crawl.returncode == 130, stderr[-3000:]
        assert "Traceback" not in stderr
    deadline = time.monotonic() + 15
    while browser_processes(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert browser_processes(tree) == []
