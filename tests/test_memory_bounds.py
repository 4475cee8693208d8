"""Memory stays bounded whatever a server sends, and nothing it sent is lost.

One crawl meets every hostile body at once: a 1 GiB decompression bomb in each coding (gzip, deflate, br, zstd) as a
page, a sitemap and a feed, a sitemap that is a gzip-file bomb, endless bodies (chunked and close-delimited), a
40 MB page and a 40 MB sitemap, beside ordinary articles. Peak RSS of the crawl's whole process tree (sampled from
/proc) stays under 1.5 GB; every bomb is in the WARC as sent, every endless body cut at the cap and marked
truncated, and the spider skips each with one line. A second crawl with a cap below a bomb's size shows a bomb cut
at the cap: archived truncated, not parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.store.factory import open_store
from pipelines.warc.lint import lint_warc
from tests.archive_checks import ArchiveContents, WarcRecordView
from tests.coding_site import (
    BOMB_KINDS,
    CODINGS,
    HUGE_SITEMAP_ARTICLE,
    CodingSite,
    article_path,
    bomb_path,
    serve_coding_site,
    sites_yaml,
    token_of,
)
from tests.conftest import run_cli
from tests.process_tree import MeasuredRun, run_cli_measured

RSS_LIMIT = int(1.5 * 1024**3)
CAP = 50 * 1024 * 1024  # ARCHIVE_MAX_RESPONSE_SIZE's default
ENDLESS = 2  # endless bodies of each kind
ARTICLES = ("gzip", "br", "zstd", "identity")


@dataclass
class Crawl:
    site: CodingSite
    base: str
    archive: Path
    run: MeasuredRun
    contents: ArchiveContents

    def captures(self, path: str) -> list[WarcRecordView]:
        return [r for r in self.contents.all_warc_records()
                if r.type == "response" and r.uri.split("?")[0] == self.base + path]

    def warc_field(self, path: str, name: str) -> list[str | None]:
        """A WARC header of each response record for `path` (ArchiveContents keeps only the HTTP side)."""
        found = []
        for key in self.contents.warcs:
            with (self.archive / key).open("rb") as fh:
                for record in ArchiveIterator(fh):
                    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                    if record.rec_type == "response" and uri.split("?")[0] == self.base + path:
                        found.append(record.rec_headers.get_header(name))
        return found


def crawl(root: Path, site: CodingSite, **env: str) -> Crawl:
    with serve_coding_site(site) as base:
        (root / "sites.yaml").write_text(sites_yaml(base))
        run = run_cli_measured("crawl", "--sites", str(root / "sites.yaml"),
                               env={"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool"),
                                    **env})
    return Crawl(site, base, root / "archive", run, ArchiveContents.read(open_store(str(root / "archive"))))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    site = CodingSite(articles=ARTICLES, bomb_codings=CODINGS, file_bomb=True, endless=ENDLESS, huge=True)
    yield crawl(tmp_path_factory.mktemp("memory"), site)


def test_crawl_ends_cleanly(hostile: Crawl) -> None:
    result = hostile.run.result
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr


def test_peak_rss_of_the_process_tree_is_bounded(hostile: Crawl) -> None:
    assert not hostile.run.guard_tripped
    assert hostile.run.peak_rss < RSS_LIMIT, f"peak RSS {hostile.run.peak_mib} MiB"


@pytest.mark.parametrize("kind", BOMB_KINDS)
@pytest.mark.parametrize("coding", CODINGS)
def test_bomb_is_archived_as_sent_and_skipped_with_one_line(hostile: Crawl, coding: str, kind: str) -> None:
    path = bomb_path(coding, kind)
    (capture,) = hostile.captures(path)
    (sent,) = hostile.site.sent(path)
    assert capture.raw_payload == sent.body
    assert ("Content-Encoding", coding) in capture.http_headers
    assert hostile.warc_field(path, "WARC-Truncated") == [None], "a bomb is small on the wire: archived whole"
    lines = [line for line in hostile.run.result.stderr.splitlines() if hostile.base + path in line
             and "WARNING" in line]
    assert len(lines) == 1 and "DECODED_MAX_SIZE" in lines[0], lines


def test_gzip_file_sitemap_bomb_is_archived_and_skipped(hostile: Crawl) -> None:
    (capture,) = hostile.captures("/bomb/sitemap-file.xml.gz")
    assert capture.raw_payload == hostile.site.gzip_file_bomb
    lines = [line for line in hostile.run.result.stderr.splitlines() if "/bomb/sitemap-file.xml.gz" in line
             and "WARNING" in line]
    assert len(lines) == 1 and "skipped" in lines[0], lines


@pytest.mark.parametrize("kind", ["chunked", "close"])
def test_endless_body_is_cut_at_the_cap_and_archived_truncated(hostile: Crawl, kind: str) -> None:
    path = f"/stream/endless-{kind}"
    captures = hostile.captures(path)
    assert len(captures) == ENDLESS
    for capture in captures:
        assert CAP <= len(capture.raw_payload) <= CAP + (1 << 20)
        assert capture.raw_payload.startswith(b"<p>endless stream of words ")
    assert hostile.warc_field(path, "WARC-Truncated") == ["length"] * ENDLESS


def test_huge_documents_are_archived_whole_and_used(hostile: Crawl) -> None:
    (page,) = hostile.captures("/huge/page")
    assert page.raw_payload == hostile.site.huge_page
    (sitemap,) = hostile.captures("/huge/sitemap.xml")
    assert len(sitemap.raw_payload) > 40_000_000
    urls = {record["url"] for record in hostile.contents.records}
    assert hostile.base + HUGE_SITEMAP_ARTICLE in urls, "the article only the huge sitemap lists is recorded"


def test_articles_beside_the_bombs_are_recorded(hostile: Crawl) -> None:
    texts = {record["url"]: record["text"] for record in hostile.contents.records}
    for name in ARTICLES:
        assert token_of(name) in texts[hostile.base + article_path(name)]


def test_warcs_reach_the_archive_and_lint_clean(hostile: Crawl) -> None:
    assert hostile.contents.warcs
    for key in hostile.contents.warcs:
        assert key.removesuffix(".warc.gz") + ".cdxj" in hostile.contents.keys
        assert lint_warc(hostile.archive / key) == []
    verify = run_cli("warc", "verify", *(str(hostile.archive / key) for key in hostile.contents.warcs))
    assert verify.returncode == 0, verify.stdout[-2000:]


def test_bomb_over_the_raw_cap_is_archived_truncated(tmp_path: Path) -> None:
    cap = 300_000  # below the ~1 MB of a gzip or deflate bomb
    done = crawl(tmp_path, CodingSite(articles=("identity",), bomb_codings=("gzip", "deflate")),
                 NEWSARCHIVE_ARCHIVE_MAX_RESPONSE_SIZE=str(cap))
    assert done.run.result.returncode == 0, done.run.result.stderr[-3000:]
    for coding in ("gzip", "deflate"):
        path = bomb_path(coding, "page")
        (capture,) = done.captures(path)
        (sent,) = done.site.sent(path)
        assert cap < len(capture.raw_payload) < len(sent.body or b"") and (sent.body or b"").startswith(
            capture.raw_payload)
        assert done.warc_field(path, "WARC-Truncated") == ["length"]
        cut = [line for line in done.run.result.stderr.splitlines() if re.search(rf"{path}\b.*cut at", line)]
        assert len(cut) == 1, cut
