"""Dates: many spellings parse, the most deliberate source wins, and impossible dates are refused."""

import http.server
import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pipelines.extract.article import extract_article
from pipelines.extract.document import parse_html
from pipelines.extract.metadata.dates import FUTURE_TOLERANCE, find_modified, find_published, parse_date
from pipelines.extract.metadata.jsonld import JsonLd
from pipelines.extract.metadata.metatags import MetaTags
from pipelines.extract.metadata.written_dates import headline_dates

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
    language: str | None = None,
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
        language=language,
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


# ---------------------------------------------------------------- dates printed around the headline


def page(head: str, header: str, *, lang: str | None = None, body: str = "<p>The story.</p>") -> str:
    """An article page: `head` in <head>, `header` printed right under the <h1>."""
    lang_attribute = f' lang="{lang}"' if lang else ""
    return (f"<html{lang_attribute}><head><title>Story</title>{head}</head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>The headline of the story</h1><div class='byline'>{header}</div>{body}</article>"
            "</body></html>")


def jsonld(published_at: str, modified_at: str | None = None) -> str:
    modified = f', "dateModified": "{modified_at}"' if modified_at else ""
    return ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "The headline",'
            f' "datePublished": "{published_at}"{modified}}}</script>')


@pytest.mark.parametrize(
    ("lang", "printed", "expected"),
    [
        ("de", "Von Anna Schmidt · 12. März 2024, 08:15 Uhr", date(2024, 3, 12)),
        ("de-DE", "Aktualisiert am 04.03.2024.", date(2024, 3, 4)),  # the German order: day first
        ("fr", "Publié le 1er janvier 2025 à 10h", date(2025, 1, 1)),
        ("fr-FR", "mis à jour le 3 févr. 2025", date(2025, 2, 3)),
        ("es", "Madrid, 12 de marzo de 2025", date(2025, 3, 12)),
        ("ja", "2025年3月12日 10時30分 公開", date(2025, 3, 12)),
        ("en-US", "By Jane Doe | Nov. 4th, 2025", date(2025, 11, 4)),
        ("en-US", "Posted 03/04/2025", date(2025, 3, 4)),  # the US order: month first
        ("en-GB", "Posted 03/04/25", date(2025, 4, 3)),
        (None, "2025-12-19", date(2025, 12, 19)),
        ("de", "Updated February 16, 2026", date(2026, 2, 16)),  # an English template on a German page
    ],
)
def test_printed_dates_are_read_in_the_page_locale(lang: str | None, printed: str, expected: date) -> None:
    tree = parse_html(page("", printed, lang=lang)).tree
    assert [w.readings for w in headline_dates(tree, lang)] == [(expected,)]


def test_dates_in_scripts_styles_and_the_head_are_not_printed_ones() -> None:
    html = page('<meta name="x" content="1 March 2020">',
                '<script>var published = "2020-01-01";</script><style>/* 2020-02-02 */</style>'
                "<noscript>3 March 2020</noscript><span>Le 4 mars 2024</span>", lang="fr")
    assert [w.readings for w in headline_dates(parse_html(html).tree, "fr")] == [(date(2024, 3, 4),)]


def test_an_ambiguous_numeric_date_follows_the_page_s_other_dates_else_keeps_both_readings() -> None:
    story = "<p>" + "The council met on Tuesday to discuss the budget. " * 10 + "</p>"
    comments = "<section><p>Anna, 25/12/2024</p><p>Ben, 30/11/2024</p></section>"  # beyond the header window
    tree = parse_html(page("", "03/04/2025", body=story + comments)).tree
    assert [w.readings for w in headline_dates(tree, None)] == [(date(2025, 4, 3),)]
    bare = parse_html(page("", "03/04/2025")).tree
    assert [w.readings for w in headline_dates(bare, None)] == [(date(2025, 4, 3), date(2025, 3, 4))]


LATE_FETCH = datetime(2026, 3, 1, tzinfo=UTC)


def shown(html: str, language: str | None = None):
    return published(html, fetched_at=LATE_FETCH, language=language)


def test_printed_date_confirms_the_declared_one() -> None:
    found = shown(page(jsonld("2024-03-12T08:15:00+01:00"), "12. März 2024", lang="de"), language="de")
    assert (found.rfc3339(), found.source) == ("2024-03-12T08:15:00+01:00", "jsonld")


def test_a_utc_stamp_matches_the_local_day_the_page_prints() -> None:
    late = shown(page(jsonld("2025-12-02T23:00:55Z"), "Published: 03 Dec 2025"), language="en")
    assert (late.rfc3339(), late.source) == ("2025-12-02T23:00:55+00:00", "jsonld")
    # no time zone puts 22:02 UTC on the 19th on the 18th: the printed date is the page's
    other = shown(page(jsonld("2025-12-19T22:02:58Z"), "Dec 18, 2025"), language="en")
    assert (other.rfc3339(), other.source) == ("2025-12-18T00:00:00+00:00", "text")


def test_a_printed_update_keeps_the_declared_publication_date() -> None:
    html = page(jsonld("2024-09-06T13:12:36+02:00", "2025-11-14T06:49:57+01:00"), "Mis à jour le 14 novembre 2025",
                lang="fr")
    found = shown(html, language="fr")
    assert (found.rfc3339(), found.source) == ("2024-09-06T13:12:36+02:00", "jsonld")


def test_a_printed_update_stands_in_for_a_missing_publication_date() -> None:
    html = page('<meta property="article:modified_time" content="2025-12-11T09:00:00+01:00">', "Stand: 11.12.2025",
                lang="de")
    found = shown(html, language="de")
    assert (found.rfc3339(), found.source) == ("2025-12-11T09:00:00+01:00", "meta")


def test_the_declared_date_the_reader_sees_wins_over_the_first_declared() -> None:
    head = ('<meta name="dc.date" content="2024-07-05T14:20:08Z">'
            '<meta property="og:updated_time" content="2024-07-05T14:20:08-04:00">')
    html = page(head, '<time datetime="2024-03-01T09:00:00+09:00">2024年3月1日</time>', lang="ja")
    found = shown(html, language="ja")
    assert (found.rfc3339(), found.source) == ("2024-03-01T09:00:00+09:00", "time")


def test_an_earlier_printed_date_beats_a_migration_stamp_and_a_later_one_does_not() -> None:
    migrated = page(jsonld("2024-08-07T12:01:51Z"), "Publié le 30 décembre 2013", lang="fr")
    found = shown(migrated, language="fr")
    assert (found.rfc3339(), found.source) == ("2013-12-30T00:00:00+00:00", "text")
    updated = page(jsonld("2016-02-25T23:48:16Z"), "Zuletzt aktualisiert: 1. April 2025", lang="de")
    assert shown(updated, language="de").rfc3339() == "2016-02-25T23:48:16+00:00"


def test_printed_date_without_declaration_beats_htmldate() -> None:
    html = page("", "2025年12月19日", lang="ja", body="<p>記事。</p><footer><p>2014年1月1日 開設</p></footer>")
    found = shown(html, language="ja")
    assert (found.rfc3339(), found.source) == ("2025-12-19T00:00:00+00:00", "text")


def test_an_ambiguous_printed_date_only_confirms() -> None:
    declared = shown(page(jsonld("2025-04-03T10:00:00+02:00"), "03/04/2025"))
    assert declared.source == "jsonld"
    later = shown(page(jsonld("2025-06-01T10:00:00+02:00"), "03/04/2025"))
    assert (later.rfc3339(), later.source) == ("2025-06-01T10:00:00+02:00", "jsonld")


def test_printed_dates_in_the_future_or_before_1990_are_refused() -> None:
    future = published(page(jsonld("2025-05-01T10:00:00Z"), "12 June 2025"), language="en")
    assert future.rfc3339() == "2025-05-01T10:00:00+00:00"  # FETCHED is 1 June 2025
    ancient = published(page(jsonld("2025-05-01T10:00:00Z"), "1 January 1970"), language="en")
    assert ancient.rfc3339() == "2025-05-01T10:00:00+00:00"


def test_the_record_reads_printed_dates_in_the_declared_language() -> None:
    html = page("", "Veröffentlicht am 04.03.2024", lang="de-DE")
    record = extract_article(html, "https://news.example.de/story", fetched_at=FETCHED)
    assert (record["published_at"], record["date_source"]) == ("2024-03-04T00:00:00+00:00", "text")


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
