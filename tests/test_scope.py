"""Only http(s), in scope and well formed is ever requested, whatever produced the URL.

Unit tests of crawler.scope, then a real crawl of a hostile local site (tests/hostile_urls_site.py): its
pages, feed, sitemap, robots.txt, <base>, canonical, meta refresh and redirects point at a local file
holding a unique marker, at ftp://, data:, javascript:, malformed URLs, denied paths and private addresses.
"""

import contextlib
import gzip
import re
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml

from crawler.scope import LinkScope, MalformedURL, absolute_url, refusal
from crawler.sites import Site
from tests.conftest import dumped_stats, run_cli
from tests.hostile_urls_site import Bad, HostileSite, canaries, serve_hostile_site
from tests.serving import SiteServer, serving

SITE = Site(name="s", homepage="https://news.example/", allowed_domains=("news.example",),
            deny_patterns=(re.compile(r"/denied/"),))


@pytest.mark.parametrize("url, reason", [
    ("https://news.example/a", None), ("http://www.news.example/a", None), ("HTTPS://NEWS.EXAMPLE/a", None),
    ("file:///etc/passwd", "scheme"), ("file://news.example/etc/passwd", "scheme"), ("ftp://news.example/", "scheme"),
    ("data:text/html,hi", "scheme"), ("javascript:alert(1)", "scheme"), ("s3://b/k", "scheme"),
    ("mailto:a@news.example", "scheme"), ("https://other.example/a", "offsite"),
    ("https://news.example.evil.example/", "offsite"), ("https://news.example/denied/x", "denied"),
])
def test_refusal_reasons(url: str, reason: str | None) -> None:
    assert refusal(absolute_url(url), SITE) == reason


def test_remembered_link_checks_answer_as_the_checks_do_and_keep_no_huge_link() -> None:
    scope = LinkScope(max_length=200)
    links = [("/a?sessionid=1", "https://news.example/x"), ("/denied/b", "https://news.example/"),
             ("https://other.example/", None), ("file:///etc/passwd", None), ("http://[::1/x", None)]
    for _ in range(2):  # the second round comes from memory
        answers = [scope.check(href, base, SITE) for href, base in links]
        assert [a.refused for a in answers] == [None, "denied", "offsite", "scheme", "malformed"]
        assert answers[0].url == "https://news.example/a"
    huge = "/" + "x" * 5000
    assert scope.check(huge, "https://news.example/", SITE).refused == "malformed"
    assert all(len(href) <= 200 for href, _, _ in scope._memo)


def test_without_a_site_only_the_scheme_counts() -> None:
    assert refusal("https://anywhere.example/robots.txt", None) is None
    assert refusal("file:///robots.txt", None) == "scheme"


@pytest.mark.parametrize("href", ["http://[::1/x", "http://h.example:99999/", "http://h.example:port/", "http://",
                                  "http:///path", "https://h.example/a\x00b", "https://h.example/\nx/y",
                                  "https://h.example/" + "x" * 3000, "http://exa mple.example/", 42])
def test_malformed_urls_raise_one_error_type(href: object) -> None:
    with pytest.raises(MalformedURL):
        absolute_url(href, "https://news.example/feed")  # type: ignore[arg-type]


def test_relative_urls_join_their_base() -> None:
    assert absolute_url("  /a?b=1 ", "https://news.example/feed.xml") == "https://news.example/a?b=1"
    assert absolute_url("marker.html", "file:///tmp/") == "file:///tmp/marker.html"  # refused later: scheme


def everything_written(root: Path) -> bytes:
    """Every byte the crawl left under `root` (archive and spool), gzip members decompressed."""
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                with contextlib.suppress(OSError, EOFError):
                    data = gzip.decompress(data)
            found.append(data)
    return b"\n".join(found)


def test_hostile_urls_are_never_requested_and_the_rest_is(tmp_path: Path) -> None:
    marker = f"MARKER-{uuid.uuid4().hex}"
    marker_file = tmp_path / "local" / "marker.html"
    marker_file.parent.mkdir()
    with canaries(["127.0.0.1"]) as (ftp,), canaries(["127.0.0.2", "127.0.0.3", "::1"]) as private:
        site = HostileSite(marker_file, ftp_port=ftp.port, canary_port=private[0].port)
        with serve_hostile_site(site) as base:
            marker_file.write_text(f"<html><body>{marker}<a href='{base}/from-file'>x</a></body></html>")
            config = {"sites": [{"name": "hostile", "homepage": base + "/", "allowed_domains": ["127.0.0.1"],
                                 "deny_patterns": ["/denied/"], "article_patterns": ["/news/"], "delay": 0,
                                 "allow_private_network": True}]}
            (tmp_path / "sites.yaml").write_text(yaml.safe_dump(config))
            result = run_cli("crawl", "--sites", str(tmp_path / "sites.yaml"), env={
                "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
                "NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
                "NEWSARCHIVE_EXTRACT_WORKERS": "0"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert marker not in output and marker.encode() not in everything_written(tmp_path / "archive")
    assert marker.encode() not in everything_written(tmp_path / "spool")
    seen = site.paths()
    assert "/from-file" not in seen and "/data-link" not in seen
    assert not [path for path in seen if "denied" in path or "bad-port" in path or "\x01" in path]
    assert not [path for path in seen if path.startswith("/huge/")]
    assert ftp.connections == [], "no FTP session"
    assert [canary.connections for canary in private] == [[] for _ in private], "no private address touched"
    bad_count = len(Bad(base, marker_file, ftp.port, private[0].port).urls())
    # every good entry after every bad one was still fetched: one bad URL skips that entry only
    assert {f"/news/feed-{i}" for i in range(bad_count)} <= set(seen), "the feed went on past its bad entries"
    assert {f"/news/map-{i}" for i in range(bad_count)} <= set(seen), "the sitemap went on past its bad entries"
    assert {f"/news/json-{i}" for i in range(bad_count)} <= set(seen), "the JSON feed went on past its bad entries"
    assert "/news/view-source" not in seen
    assert "/news/page-1" in seen and "/refresh" in seen and "/based" in seen
    refused = dumped_stats(output, "newsarchive/refused/")
    assert refused.get("scheme", 0) >= 10 and refused.get("malformed", 0) >= 5, refused
    assert refused.get("denied", 0) >= 2 and refused.get("offsite", 0) >= 4, refused
    assert output.count("not requesting") == 1, "one warning per run, the rest at DEBUG"


class _TwoHostHandler(BaseHTTPRequestHandler):
    """127.0.0.1:PORT and localhost:PORT as two sites: the first one's robots.txt redirects off it, to a robots.txt
    on the second that disallows everything; the second's redirects within itself, to one that disallows /private/."""

    server: SiteServer

    def do_GET(self) -> None:
        host = self.headers.get("Host", "").split(":")[0]
        port = self.server.server_address[1]
        hits: list[tuple[str, str]] = self.server.site
        hits.append((host, self.path))
        pages = {
            ("127.0.0.1", "/robots.txt"): (301, f"http://localhost:{port}/elsewhere-robots.txt"),
            ("localhost", "/elsewhere-robots.txt"): (200, "User-agent: *\nDisallow: /\n"),
            ("localhost", "/robots.txt"): (302, "/moved-robots.txt"),
            ("localhost", "/moved-robots.txt"): (200, "User-agent: *\nDisallow: /private/\n"),
        }
        status, body = pages.get((host, self.path), (200, ARTICLE_PAGE))
        self.send_response(status)
        if status != 200:
            self.send_header("Location", body)
            body = ""
        self.send_header("Content-Type", "text/plain" if self.path.endswith(".txt") else "text/html")
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())


ARTICLE_PAGE = ("<html><body><a href='/news/story-1'>a</a><a href='/private/story-2'>b</a>"
                "<p>The harbour board met on Tuesday to debate the sea wall.</p></body></html>")


def test_robots_txt_redirects_stay_in_the_site_scope(tmp_path: Path) -> None:
    hits: list[tuple[str, str]] = []
    with serving(SiteServer(_TwoHostHandler, hits)) as server:
        port = server.server_address[1]
        config = {"sites": [
            {"name": "loopback", "homepage": f"http://127.0.0.1:{port}/", "allowed_domains": ["127.0.0.1"],
             "article_patterns": ["/news/", "/private/"], "delay": 0, "allow_private_network": True},
            {"name": "named", "homepage": f"http://localhost:{port}/", "allowed_domains": ["localhost"],
             "article_patterns": ["/news/", "/private/"], "delay": 0, "allow_private_network": True},
        ]}
        (tmp_path / "sites.yaml").write_text(yaml.safe_dump(config))
        result = run_cli("crawl", "--sites", str(tmp_path / "sites.yaml"), env={
            "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
            "NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
            "NEWSARCHIVE_EXTRACT_WORKERS": "0", "NEWSARCHIVE_LOG_LEVEL": "DEBUG"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    # off the site: the redirect is refused, so 127.0.0.1 is crawled as if it had no robots.txt
    assert ("localhost", "/elsewhere-robots.txt") not in hits
    assert {("127.0.0.1", "/news/story-1"), ("127.0.0.1", "/private/story-2")} <= set(hits)
    refusals = [line for line in output.splitlines() if "not requesting" in line and "elsewhere-robots" in line]
    assert len(refusals) == 1 and "offsite (site loopback)" in refusals[0], refusals
    assert dumped_stats(output, "newsarchive/refused/").get("offsite", 0) >= 1
    # within the site: followed and obeyed
    assert ("localhost", "/moved-robots.txt") in hits and ("localhost", "/news/story-1") in hits
    assert ("localhost", "/private/story-2") not in hits
