"""Every content coding a server may send (gzip, x-gzip, deflate with and without zlib wrapper, br, zstd, stacked),
crawled for real: archived byte for byte with its Content-Encoding, indexed, recorded with the right text, replayed
by pywb, and a second crawl into the same archive starts and ends cleanly (a br page once wedged the archive)."""

from __future__ import annotations

import http.client
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.store.factory import open_store
from pipelines.store.members import ScanCounts
from pipelines.warc.codings import content_codings, decode
from pipelines.warc.lint import lint_warc
from pipelines.warc.reader import read_pages
from tests.archive_checks import ArchiveContents, WarcRecordView
from tests.coding_site import (
    ARTICLE_CODINGS,
    CodingSite,
    Sent,
    article_html,
    article_path,
    serve_coding_site,
    sites_yaml,
    token_of,
)
from tests.conftest import require, run_cli
from tests.test_replay import pywb_serving
from tests.tool_envs import ToolEnvError, tool_bin

# pywb 2.10 serves x-gzip, zstd and stacked codings undecoded, without their header (docs/warc.md)
REPLAYED = ("gzip", "deflate", "deflate-raw", "br", "identity")


@dataclass
class Crawled:
    site: CodingSite
    base: str
    archive: Path
    spool: Path
    sites: Path
    first: subprocess.CompletedProcess[str]
    contents: ArchiveContents

    def crawl(self) -> subprocess.CompletedProcess[str]:
        return run_cli("crawl", "--sites", str(self.sites), env={"ARCHIVE_URI": str(self.archive),
                                                                  "NEWSARCHIVE_SPOOL": str(self.spool)})

    def capture(self, name: str) -> WarcRecordView:
        (capture,) = [r for r in self.contents.all_warc_records()
                      if r.type == "response" and r.uri == self.base + article_path(name)]
        return capture

    def sent(self, name: str) -> Sent:
        (sent, *_) = self.site.sent(article_path(name))
        return sent


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    root = tmp_path_factory.mktemp("codings")
    site = CodingSite()
    with serve_coding_site(site) as base:
        sites = root / "sites.yaml"
        sites.write_text(sites_yaml(base))
        run = Crawled(site, base, root / "archive", root / "spool", sites, subprocess.CompletedProcess([], 0),
                      ArchiveContents([], {}, [], []))
        run.first = run.crawl()
        run.contents = ArchiveContents.read(open_store(str(run.archive)))
        yield run


def test_crawl_ends_cleanly(crawled: Crawled) -> None:
    assert crawled.first.returncode == 0, crawled.first.stderr[-3000:]
    assert "Traceback" not in crawled.first.stderr
    assert not list(crawled.spool.rglob("*.warc.gz")) and not list(crawled.spool.rglob("*.open")), "all uploaded"


def test_crawler_asks_for_the_codings_pywb_replays(crawled: Crawled) -> None:
    asked = {entry.headers.get("Accept-Encoding") for entry in crawled.site.log}
    assert asked == {"gzip, deflate, br"}


@pytest.mark.parametrize("name", list(ARTICLE_CODINGS))
def test_archived_as_sent(crawled: Crawled, name: str) -> None:
    capture, sent = crawled.capture(name), crawled.sent(name)
    assert capture.raw_payload == sent.body, "the WARC holds the bytes the server sent, still encoded"
    codings = [value for header, value in capture.http_headers if header.lower() == "content-encoding"]
    assert codings == ([ARTICLE_CODINGS[name]] if ARTICLE_CODINGS[name] else [])
    assert decode(capture.raw_payload, content_codings(codings), 0) == article_html(name).encode()


@pytest.mark.parametrize("name", list(ARTICLE_CODINGS))
def test_record_has_the_page_text(crawled: Crawled, name: str) -> None:
    (record,) = [r for r in crawled.contents.records if r["url"] == crawled.base + article_path(name)]
    assert token_of(name) in record["text"] and record["title"].endswith(token_of(name))
    assert record["warc"]["key"] in crawled.contents.warcs


def test_cdxj_lists_every_capture(crawled: Crawled) -> None:
    (cdxj_key,) = [key for key in crawled.contents.keys if key.endswith(".cdxj")]
    urls = {json.loads(line.split(" ", 2)[2])["url"]
            for line in open_store(str(crawled.archive)).get(cdxj_key).decode().splitlines()}
    assert {crawled.base + article_path(name) for name in ARTICLE_CODINGS} <= urls


def test_warcs_pass_warcio_check_and_lint(crawled: Crawled) -> None:
    """warcio's own `check`, with the brotli binding it was written for (brotlipy, in the pywb venv: beside Scrapy's
    brotli it cannot be installed), and our lint."""
    try:
        warcio = tool_bin("pywb") / "warcio"
    except ToolEnvError as error:
        require(False, f"pywb tool venv (its warcio): {error}")
    for key in crawled.contents.warcs:
        check = subprocess.run([str(warcio), "check", "-v", str(crawled.archive / key)], capture_output=True,
                               text=True, check=False)
        assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
        assert "digest pass" in check.stdout
        assert lint_warc(crawled.archive / key) == []
    verify = run_cli("warc", "verify", *(str(crawled.archive / key) for key in crawled.contents.warcs))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_second_crawl_into_the_archive_starts_and_ends_cleanly(crawled: Crawled) -> None:
    second = crawled.crawl()
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Traceback" not in second.stderr
    contents = ArchiveContents.read(open_store(str(crawled.archive)))
    assert len(contents.reports) == 2 and len(contents.warcs) == 2
    assert not list(crawled.spool.rglob("*.warc.gz")) and not list(crawled.spool.rglob("*.open"))
    assert len(crawled.site.sent(article_path("br"))) == 1, "its record was written: not fetched again"
    revisits = {r.uri for r in contents.all_warc_records() if r.type == "revisit"}
    assert crawled.base + "/" in revisits, "the first run's payloads became dedup targets"


def _get(port: int, path: str, accept: str | None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": accept} if accept else {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_pywb_replays_each_coding(crawled: Crawled, tmp_path: Path) -> None:
    warcs = [crawled.archive / key for key in crawled.contents.warcs]
    with pywb_serving(warcs, tmp_path) as port:
        for name in REPLAYED:
            capture, url = crawled.capture(name), crawled.base + article_path(name)
            (record,) = [r for r in crawled.contents.records if r["url"] == url]
            stamp = "".join(ch for ch in record["fetched_at"] if ch.isdigit())[:14]
            # a client that takes no coding gets the page decoded
            status, _, body = _get(port, f"/c/{stamp}id_/{url}", None)
            assert status == 200 and body == article_html(name).encode(), name
            # one that takes the stored coding gets the stored bytes, with their Content-Encoding
            coding = ARTICLE_CODINGS[name]
            if coding:
                status, headers, body = _get(port, f"/c/{stamp}id_/{url}", coding)
                assert (status, headers.get("content-encoding"), body) == (200, coding, capture.raw_payload), name
            status, headers, body = _get(port, f"/c/{stamp}mp_/{url}", None)
            assert status == 200 and token_of(name).encode() in body, name


def test_pages_read_back_from_the_warc_are_decoded(crawled: Crawled) -> None:
    """What re-extraction and import read: every coding undone (warcio's own decoder raised on br, passed zstd
    through), as the crawl's spider saw the page."""
    pages = {}
    for key in crawled.contents.warcs:
        with (crawled.archive / key).open("rb") as fh:
            pages.update({page.url: page for page in read_pages(fh, ScanCounts())})
    for name in ARTICLE_CODINGS:
        assert pages[crawled.base + article_path(name)].body == article_html(name).encode(), name
