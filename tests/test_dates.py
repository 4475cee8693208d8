"""Dates: many spellings parse, the most deliberate source wins, and impossible dates are refused."""

import http.server
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipelines.extract.article import extract_article
from pipelines.extract.document import parse_html
from pipelines.extract.metadata.dates import FUTURE_TOLERANCE, find_modified, find_published, parse_date
from pipelines.extract.metadata.jsonld import JsonLd
from pipelines.extract.metadata.metatags import MetaTags

FETCHED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-11-01T10:52:50+0100", datetime(2021, 11, 1, 10, 52, 50, tzinfo=timezone(timedelta(hours=1)))),
        ("2019-01-03T07:00:02.000Z", datetime(2019, 1, 3, 7, 0, 2, tzinfo=UTC)),
        ("2017-11-03 03:01:00.000000", datetime(2017, 11, 3, 3, 1, tzinfo=UTC)),  # naive means UTC
        ("2015-07-10", datetime(2015, 7, 10, tzinfo=UTC)),
        ("2015/07/10 09:53:00 -0400", datetime(2015, 7, 10, 9, 53, tzinfo=timezone(timedelta(hours=-4)))),
        ("Fri, 22 Dec 2016 10:43:37 GMT", datetime(2016, 12, 22, 10, 43, 37, tzinfo=UTC)),
        ("2016-12-22T10:43:37.123456789Z", datetime(2016, 12, 22, 10, 43, 37, 123456, tzinfo=UTC)),
        ("1482403417", datetime(2016, 12, 22, 10, 43, 37, tzinfo=UTC)),
        (1482403417000, datetime(2016, 12, 22, 10, 43, 37, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(raw: object, expected: datetime | None) -> None:
    assert parse_date(raw) == expected


def published(
    html: str,
    url: str = "https://news.example.com/story",
    hints: dict | None = None,
    fetched_at: datetime | None = FETCHED,
):
    document = parse_html(html)
    assert document is not None
    return find_published(
        tree=document.tree,
        jsonld=JsonLd.from_tree(document.tree),
        meta=MetaTags(document.tree),
        url=url,
        hints=hints or {},
        fetched_at=fetched_at,
    )


def test_jsonld_beats_meta_beats_time() -> None:
    html = """<html><head>
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "h",
      "datePublished": "2024-01-02T03:04:05Z"}</script>
    <meta property="article:published_time" content="2023-01-01T00:00:00Z"></head>
    <body><time datetime="2022-01-01T00:00:00Z">then</time></body></html>"""
    found = published(html)
    assert (found.rfc3339(), found.source) == ("2024-01-02T03:04:05+00:00", "jsonld")


def test_time_element_outside_related_links() -> None:
    html = """<html><body><ul><li><a href="/old"><time datetime="2020-01-01">old</time></a></li></ul>
    <article><time datetime="2024-03-03T10:00:00+01:00">3 March</time><p>Text</p></article></body></html>"""
    found = published(html)
    assert (found.rfc3339(), found.source) == ("2024-03-03T10:00:00+01:00", "time")


def test_future_date_falls_through_to_the_next_source() -> None:
    future = (FETCHED + FUTURE_TOLERANCE + timedelta(minutes=1)).isoformat()
    html = f"""<html><head><meta property="article:published_time" content="{future}"></head>
    <body><time datetime="2025-05-31T08:00:00Z">yesterday</time></body></html>"""
    found = published(html)
    assert (found.rfc3339(), found.source) == ("2025-05-31T08:00:00+00:00", "time")


def test_clock_skew_within_tolerance_is_kept() -> None:
    near = (FETCHED + FUTURE_TOLERANCE - timedelta(minutes=1)).isoformat()
    html = f'<html><head><meta property="article:published_time" content="{near}"></head></html>'
    assert published(html).value == FETCHED + FUTURE_TOLERANCE - timedelta(minutes=1)


def test_ancient_placeholder_dates_are_refused() -> None:
    html = '<html><head><meta property="article:published_time" content="0001-01-01T00:00:00Z"></head></html>'
    assert published(html, url="https://news.example.com/story") is None


def test_url_date_then_hints_order() -> None:
    bare = "<html><body><p>Nothing dated here.</p></body></html>"
    found = published(bare, url="https://news.example.com/2024/02/29/leap-day-story")
    assert (found.rfc3339(), found.source) == ("2024-02-29T00:00:00+00:00", "url")
    hinted = published(
        bare,
        url="https://news.example.com/2024/02/29/leap-day-story",
        hints={"published_at": "2024-02-29T06:00:00Z", "source": "feed"},
    )
    assert (hinted.rfc3339(), hinted.source) == ("2024-02-29T06:00:00+00:00", "feed")


def test_text_fallback_uses_htmldate() -> None:
    html = "<html><body><article><p class='date'>Published 12 March 2024</p><p>Story.</p></article></body></html>"
    found = published(html)
    assert found is not None and found.source == "text" and found.value.date().isoformat() == "2024-03-12"


def test_modified_before_published_is_dropped() -> None:
    document = parse_html("""<html><head>
    <meta property="article:published_time" content="2024-05-02T00:00:00Z">
    <meta property="article:modified_time" content="2024-05-01T00:00:00Z"></head></html>""")
    jsonld, meta = JsonLd.from_tree(document.tree), MetaTags(document.tree)
    first = published(document.html)
    assert find_modified(jsonld=jsonld, meta=meta, published=first, fetched_at=FETCHED) is None
    assert find_modified(jsonld=jsonld, meta=meta, published=None, fetched_at=FETCHED) is not None



def test_a_page_that_is_only_a_url_is_never_fetched() -> None:
    """htmldate downloads a string that looks like a URL; extraction must never fetch anything."""
    hits: list[str] = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/latest/meta-data"
        for page in (url, url.encode(), f"<p>{url}</p>"):
            assert extract_article(page, "https://news.example.com/story")["published_at"] is None
        server.shutdown()
    assert hits == []
