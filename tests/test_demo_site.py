"""The bundled demo news site over real HTTP: what the crawler, the e2e tests and the benchmark rely on."""

from __future__ import annotations

import gzip
import http.client
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import Request, urlopen

import pytest
import yaml

from crawler.demo.server import demo_articles, demo_sites_yaml, serve_demo_site

NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve_demo_site() as url:
        yield url


def fetch(url: str, **headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    """GET without following redirects or decoding; HTTP errors are returned, not raised."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path or "/", headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_base_url_shape(base: str) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", base)


def test_robots_has_sitemap_and_disallows_private(base: str) -> None:
    body = urlopen(base + "robots.txt", timeout=10).read().decode()
    assert f"Sitemap: {base}sitemap.xml" in body
    assert "Disallow: /private/" in body.splitlines()


def test_homepage_links_and_headers(base: str) -> None:
    status, headers, body = fetch(base)
    html = body.decode()
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert len(headers.get_all("Set-Cookie")) == 2
    for name in ("Date", "Last-Modified", "ETag", "Cache-Control"):
        assert headers[name]
    assert '<link rel="alternate" type="application/rss+xml"' in html and 'href="/feed.xml"' in html
    for link in ("/world/", "/business/", "/technology/", "/story/10001", "/private/"):
        assert f'href="{link}' in html
    assert 'property="og:type" content="article"' not in html


def test_news_sitemap_lists_every_article_with_news_fields(base: str) -> None:
    root = ET.fromstring(urlopen(base + "sitemap.xml", timeout=10).read())
    urls = root.findall(f"{SITEMAP_NS}url")
    articles = {a.url: a for a in demo_articles(base)}
    assert {u.findtext(f"{SITEMAP_NS}loc") for u in urls} == set(articles)
    for url in urls:
        news = url.find(f"{NEWS_NS}news")
        loc = url.findtext(f"{SITEMAP_NS}loc")
        assert news.findtext(f"{NEWS_NS}title") == articles[loc].title
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", news.findtext(f"{NEWS_NS}publication_date"))
        assert news.findtext(f"{NEWS_NS}publication/{NEWS_NS}language")


def test_feed_is_chunked_rss_with_pubdates(base: str) -> None:
    status, headers, body = fetch(base + "feed.xml")
    assert status == 200
    assert headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in headers
    items = ET.fromstring(body).findall("channel/item")
    assert len(items) == len(demo_articles(base))
    for item in items:
        assert item.findtext("link").startswith(base)
        assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None


def test_articles_are_real_pages_with_their_titles(base: str) -> None:
    articles = demo_articles(base)
    assert 14 <= len(articles) <= 18
    assert len({a.url for a in articles}) == len(articles)
    for article in articles:
        assert re.search(r"/(world|business|technology)/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$", article.url)
        assert article.title
        html = urlopen(article.url, timeout=10).read().decode("utf-8", errors="replace")
        assert len(html) > 10_000


def test_article_is_gzipped_when_accepted(base: str) -> None:
    url = demo_articles(base)[0].url
    status, headers, body = fetch(url, **{"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert int(headers["Content-Length"]) == len(body)
    plain = urlopen(url, timeout=10).read()
    assert gzip.decompress(body) == plain
    assert headers["Vary"] == "Accept-Encoding" and headers["Last-Modified"] and headers["ETag"]


def test_etag_revalidation_gives_304(base: str) -> None:
    url = demo_articles(base)[0].url
    _, headers, _ = fetch(url)
    status, _, body = fetch(url, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""


def test_legacy_story_url_redirects_permanently(base: str) -> None:
    status, headers, _ = fetch(base + "story/10001")
    assert status == 301
    assert headers["Location"] == demo_articles(base)[0].url


def test_missing_article_linked_from_homepage_is_404(base: str) -> None:
    html = urlopen(base, timeout=10).read().decode()
    missing = re.search(r'href="(/world/\d{4}/\d\d/\d\d/this-story-was-removed)"', html)
    assert missing
    with pytest.raises(HTTPError) as error:
        urlopen(urljoin(base, missing[1]), timeout=10)
    assert error.value.code == 404


def test_section_pages_are_listings_linking_their_articles(base: str) -> None:
    articles = demo_articles(base)
    for section in ("world", "business", "technology"):
        html = urlopen(f"{base}{section}/", timeout=10).read().decode()
        assert 'content="article"' not in html
        expected = {urlsplit(a.url).path for a in articles if a.section == section}
        assert expected and all(f'href="{path}"' in html for path in expected)


def test_copies_serve_distinct_urls_on_paginated_sections() -> None:
    with serve_demo_site(copies=3) as base:
        originals = demo_articles(base)
        root = ET.fromstring(urlopen(base + "sitemap.xml", timeout=10).read())
        locs = [u.findtext(f"{SITEMAP_NS}loc") for u in root.findall(f"{SITEMAP_NS}url")]
        assert len(locs) == len(set(locs)) == 3 * len(originals)
        copy = originals[0].url + "-c3"
        assert copy in locs
        assert urlopen(copy, timeout=10).read() == urlopen(originals[0].url, timeout=10).read()
        listed = set()
        for section in ("world", "business", "technology"):
            html = urlopen(f"{base}{section}/", timeout=10).read().decode()
            listed |= set(re.findall(r'href="(/[a-z]+/\d{4}/[^"]+)"', html))
        assert {urlsplit(loc).path for loc in locs} == listed


def test_large_copies_paginate_within_shallow_depth() -> None:
    with serve_demo_site(copies=20) as base:
        html = urlopen(base + "world/", timeout=10).read().decode()
        pages = re.findall(r'href="(/world/page/\d+/)"', html)
        assert pages, "page 1 links every other listing page"
        last = urlopen(urljoin(base, pages[-1]), timeout=10).read().decode()
        assert re.search(r'href="/world/\d{4}/\d\d/\d\d/[a-z0-9-]+-c\d+"', last)


def test_concurrent_requests(base: str) -> None:
    urls = [a.url for a in demo_articles(base)] * 4

    def get(url: str) -> int:
        request = Request(url, headers={"Accept-Encoding": "gzip"})
        return len(urlopen(request, timeout=10).read())

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(size > 0 for size in pool.map(get, urls))


def test_sites_yaml_matches_the_served_site(base: str) -> None:
    (site,) = yaml.safe_load(demo_sites_yaml(base))["sites"]
    assert site["name"] == "demo-news" and site["homepage"] == base
    assert site["allowed_domains"] == ["127.0.0.1"] and site["allow_private_network"] is True
    assert site["language"] == "en" and site["delay"] == 0
    pattern = re.compile(site["article_patterns"][0])
    assert all(pattern.search(a.url) for a in demo_articles(base))
    assert not pattern.search(base + "world/") and not pattern.search(base + "story/10001")
    assert any(re.search(p, base + "private/drafts/") for p in site["deny_patterns"])


def test_shutdown_releases_the_port() -> None:
    with serve_demo_site() as base:
        port = urlsplit(base).port
        urlopen(base, timeout=10).read()
    with serve_demo_site(port=port) as again:
        assert urlopen(again + "robots.txt", timeout=10).status == 200
