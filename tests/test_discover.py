"""`newsarchive discover URL`: from a homepage alone to a sites-file entry whose crawl finds the site's articles.

Real CLI runs against local sites the rest of the suite does not use (tests/discover_sites.py: numeric ids,
`.html` slugs, a JavaScript-only site) and the demo site; the entries are checked by crawling with them.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.demo.server import demo_articles_at
from crawler.discovery.patterns import infer_article_patterns
from crawler.sites import SitesConfigError, append_site, load_sites
from pipelines.store.factory import open_store
from tests.archive_checks import jsonl_gz
from tests.conftest import run_cli
from tests.discover_sites import SchemeSite, serve_scheme_site

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0"}
OTHER_SITE = """\
# Our sites. Keep this comment.
sites:
  - name: herald   # the first one
    homepage: https://herald.example/
"""


def discover(url: str, tmp_path: Path, *args: str,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`newsarchive discover URL ARGS` with an archive and spool that must stay empty."""
    return run_cli("discover", url, *args, env={**FAST, "ARCHIVE_URI": str(tmp_path / "archive"),
                                                "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), **(env or {})})


def discovered(url: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    result = discover(url, tmp_path, "--allow-private-network", "--json", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def record_urls(archive: Path) -> dict[str, set[str]]:
    """Article URLs of the archive's records, by site."""
    store = open_store(str(archive))
    found: dict[str, set[str]] = {}
    for key in (o.key for o in store.list("records/")):
        for record in jsonl_gz(store.get(key)):
            found.setdefault(record["site"], set()).add(record["url"])
    return found


# -- article_patterns: structure that generalises, or nothing ---------------------------------------------------

def halves(urls: list[str]) -> tuple[list[str], list[str]]:
    return urls[::2], urls[1::2]


@pytest.mark.parametrize("scheme", ["numeric", "html"])
def test_patterns_inferred_on_half_the_articles_match_the_other_half(scheme: str) -> None:
    site = SchemeSite(scheme=scheme)
    base = "http://news.example"
    articles = [base + path for path in sorted(site.article_paths())]
    others = [base + path for path in ("/", site.section_path("news"), site.section_path("news", 2),
                                       site.tag_path("climate"), site.about_path(), site.video_path(1))]
    seen, unseen = halves(articles)
    patterns = infer_article_patterns(seen, others)
    assert patterns
    assert all(any(p.matches(url) for p in patterns) for url in unseen)
    assert not any(p.matches(url) for p in patterns for url in others)


def test_dated_patterns_leave_day_archives_out() -> None:
    articles = [a.url for a in demo_articles_at("http://news.example")]
    seen, unseen = halves(articles)
    others = ["http://news.example/", "http://news.example/world/", "http://news.example/world/2024/05/"]
    (pattern,) = infer_article_patterns(seen, others)
    assert all(pattern.matches(url) for url in unseen)
    assert not pattern.matches("http://news.example/world/2024/05/17/")  # a day's listing, never sampled
    assert pattern.matches("https://www.news.example/2019/12/01/a-story-nobody-sampled/")


def test_no_pattern_rather_than_a_narrow_or_wrong_one() -> None:
    base = "http://news.example"
    assert infer_article_patterns([f"{base}/2024/05/0{d}/story-{d}" for d in (1, 2)], []) == []  # too few
    articles = [f"{base}/news/{slug}" for slug in ("rates-rise", "mayor-quits", "storm-hits", "vote-delayed")]
    others = [f"{base}/news/{slug}" for slug in ("weather", "sport-results", "letters")]
    assert infer_article_patterns(articles, others) == []  # same structure on both sides: the classifier decides
    # Ids alone also mark the video pages, so the section prefix comes in, never a literal slug.
    articles = [f"{base}/news/{40000 + n}-story-number-{n}" for n in range(5)]
    patterns = infer_article_patterns(articles, [f"{base}/video/50001-highlights", f"{base}/news/"])
    assert [p.matches(f"{base}/news/99999-a-later-story") for p in patterns] == [True]
    assert not patterns[0].matches(f"{base}/video/50002-more-highlights")


# -- the sites file --------------------------------------------------------------------------------------------

def test_append_keeps_the_file_and_refuses_clashes(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text(OTHER_SITE)
    append_site(sites, {"name": "courier", "homepage": "https://courier.example/",
                        "article_patterns": [r"^https?://[^/]+/news/\d{5,}"]}, comment="proposed by discover")
    text = sites.read_text()
    assert text.startswith(OTHER_SITE) and "# proposed by discover" in text
    assert [site.name for site in load_sites(sites)] == ["herald", "courier"]
    with pytest.raises(SitesConfigError, match="duplicate name"):
        append_site(sites, {"name": "courier", "homepage": "https://courier.example/"})
    assert sites.read_text() == text
    sites.write_text("sites: [{name: herald, homepage: 'https://herald.example/'}]\n")
    with pytest.raises(SitesConfigError, match="flow style"):
        append_site(sites, {"name": "courier", "homepage": "https://courier.example/"})


# -- the command -----------------------------------------------------------------------------------------------

def test_private_address_is_refused_without_the_flag(tmp_path: Path) -> None:
    site = SchemeSite()
    with serve_scheme_site(site) as url:
        result = discover(url, tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "--allow-private-network" in line and "127.0.0.1" in line
    assert site.paths() == []  # not even robots.txt


def test_proposed_entries_crawl_the_sites_articles(tmp_path: Path, demo_site: str) -> None:
    """Homepage alone → discover --write → crawl: every article of each site archived, nothing else."""
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(OTHER_SITE)
    numeric, html = SchemeSite(scheme="numeric"), SchemeSite(scheme="html")
    with serve_scheme_site(numeric) as numeric_url, serve_scheme_site(html) as html_url:
        proposals = {}
        for name, url in (("numeric", numeric_url), ("html", html_url), ("demo", demo_site)):
            proposals[name] = discovered(url, tmp_path, "--name", name, "--write", str(sites_file))
            printed = tmp_path / f"{name}.yaml"  # what is printed is a sites file of its own
            printed.write_text(proposals[name]["yaml"])
            assert [site.name for site in load_sites(printed)] == [name]
        assert not (tmp_path / "archive").exists() and not (tmp_path / "spool").exists()
        assert sites_file.read_text().startswith(OTHER_SITE)
        sites = {site.name: site for site in load_sites(sites_file)}
        assert list(sites) == ["herald", "numeric", "html", "demo"]
        assert sites["html"].feeds == (html_url + "rss.xml",)  # found at a common path
        assert not sites["html"].sitemaps and sites["numeric"].sitemaps
        assert sites["numeric"].sections == (numeric_url + "news/", numeric_url + "sport/")
        assert all(site.allow_private_network for name, site in sites.items() if name != "herald")
        archive = tmp_path / "crawled"
        result = run_cli("crawl", "--sites", str(sites_file), "--site", "numeric", "--site", "html",
                         "--site", "demo", "--archive", str(archive),
                         env={**FAST, "NEWSARCHIVE_SPOOL": str(tmp_path / "crawl-spool"),
                              "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "16"})
    assert result.returncode == 0, result.stderr[-3000:]
    found = record_urls(archive)
    assert found["numeric"] == {numeric_url.rstrip("/") + path for path in numeric.article_paths()}
    assert found["html"] == {html_url.rstrip("/") + path for path in html.article_paths()}
    assert found["demo"] == {article.url for article in demo_articles_at(demo_site)}
    # Articles sampled by discover were a part only: the entries found the rest.
    sampled = {page["url"] for page in proposals["numeric"]["pages"] if page["is_article"]}
    assert len(sampled) < len(numeric.article_paths())


def test_robots_txt_disallowing_a_section_is_warned(tmp_path: Path) -> None:
    site = SchemeSite(scheme="numeric", robots_disallow=("/news/",))
    with serve_scheme_site(site) as url:
        proposal = discovered(url, tmp_path)
    assert any(w.startswith("robots.txt disallows /news/:") for w in proposal["warnings"]), proposal["warnings"]
    assert not [path for path in site.paths() if path.startswith("/news/")]
    assert url + "news/" not in proposal["entry"].get("sections", [])
    assert any("no dated URLs" in w for w in proposal["warnings"])


def test_a_site_closed_by_robots_txt_fails_with_one_line(tmp_path: Path) -> None:
    site = SchemeSite(scheme="numeric", robots_disallow=("/",))
    with serve_scheme_site(site) as url:
        result = discover(url, tmp_path, "--allow-private-network")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "robots.txt disallows it" in result.stderr
    assert site.paths() == ["/robots.txt"]


def test_javascript_only_articles_are_warned(tmp_path: Path) -> None:
    site = SchemeSite(scheme="html", javascript=True)
    with serve_scheme_site(site) as url:
        proposal = discovered(url, tmp_path)
    (warning,) = [w for w in proposal["warnings"] if w.startswith("articles need JavaScript")]
    assert "/article/" in warning and warning.endswith("`render: true` is set")
    assert proposal["entry"]["render"] is True
    assert [page for page in proposal["pages"] if page["needs_javascript"]]


def test_probe_is_polite_small_and_archives_nothing(tmp_path: Path) -> None:
    site = SchemeSite(scheme="numeric", crawl_delay=0.25)
    with serve_scheme_site(site) as url:
        result = discover(url, tmp_path, "--allow-private-network", "--max-requests", "12")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Crawl-delay 0.25 s" in result.stdout
    assert "request budget ran out" in result.stdout
    hits = list(site.hits)
    assert hits[0].path == "/robots.txt" and len(hits) <= 12
    assert all(hit.user_agent.startswith("newsarchive/") for hit in hits)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(hits)]
    assert min(gaps) >= 0.2, gaps  # robots.txt's Crawl-delay, as in a crawl (less a little clock slack)
    assert not (tmp_path / "archive").exists() and not (tmp_path / "spool").exists()


def test_write_refuses_a_broken_sites_file_before_probing(tmp_path: Path) -> None:
    broken = tmp_path / "sites.yaml"
    broken.write_text("# mine\nsites:\n  - name: herald\n    homepage: not-a-url\n")
    clash = tmp_path / "clash.yaml"
    clash.write_text(OTHER_SITE)
    site = SchemeSite()
    with serve_scheme_site(site) as url:
        bad = discover(url, tmp_path, "--allow-private-network", "--write", str(broken))
        taken = discover(url, tmp_path, "--allow-private-network", "--write", str(clash), "--name", "herald")
        directory = discover(url, tmp_path, "--allow-private-network", "--write", str(tmp_path))
    for result in (bad, taken, directory):
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "homepage" in bad.stderr and "duplicate name" in taken.stderr and "--name" in taken.stderr
    assert broken.read_text().startswith("# mine") and clash.read_text() == OTHER_SITE
    assert site.paths() == []


def test_bad_arguments_and_unreachable_sites_get_one_line(tmp_path: Path) -> None:
    for args in (("ftp://news.example/",), ("https://news.example/", "--name", "Bad Name"),
                 ("https://news.example/", "--max-requests", "3")):
        result = discover(args[0], tmp_path, *args[1:])
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    with serve_scheme_site(SchemeSite()) as url:
        port = urlsplit(url).port
    result = discover(f"http://127.0.0.1:{port}/", tmp_path, "--allow-private-network")  # nothing listens now
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "nothing to go on" in result.stderr
