"""The article classifier: yes for news articles, no for fronts and listings, and it says why."""

import re

import pytest

from pipelines.extract.classify import classify_page
from pipelines.extract.document import parse_html
from tests import readability_sample as sample

PARAGRAPH = "<p>" + "The council voted on Tuesday to close the old harbour road for repairs. " * 8 + "</p>"
ARTICLE = f"""<html><head><title>Harbour road closes for repairs | The Herald</title>
<meta property="og:type" content="article"></head>
<body><h1>Harbour road closes for repairs</h1><div class="story">{PARAGRAPH * 4}</div></body></html>"""
TEASERS = "".join(
    f'<div class="card"><h3><a href="/news/story-{i}">Story number {i} headline</a></h3><p>Short teaser {i}.</p></div>'
    for i in range(30)
)
FRONT = f"""<html><head><title>The Herald - News</title><meta property="og:type" content="website"></head>
<body><h1>The Herald</h1>{TEASERS}</body></html>"""


@pytest.mark.parametrize("name", sample.pages("news"))
def test_real_news_pages_are_articles(name: str) -> None:
    is_article, signals = classify_page(sample.document(name), sample.PAGE_URL)
    assert is_article, signals


@pytest.mark.parametrize("name", sample.pages("nonarticle"))
def test_real_fronts_and_product_pages_are_not(name: str) -> None:
    is_article, signals = classify_page(sample.document(name), sample.PAGE_URL)
    assert not is_article, signals


def test_synthetic_article_and_front() -> None:
    is_article, signals = classify_page(
        parse_html(ARTICLE), "https://herald.example/news/harbour-road-closes-for-repairs"
    )
    assert is_article and {"og:type=article", "text-density", "headline-h1", "url-slug"} <= set(signals)
    is_article, signals = classify_page(parse_html(FRONT), "https://herald.example/")
    assert not is_article and {"og:type=website", "listing-page", "homepage"} <= set(signals)


def test_deny_patterns_win_and_article_patterns_count() -> None:
    url = "https://herald.example/video/harbour-road-closes-for-repairs"
    assert classify_page(parse_html(ARTICLE), url, deny_patterns=[re.compile("/video/")]) == (False, ["deny-pattern"])
    thin = "<html><body><h1>Short update on the harbour</h1><p>Road closed.</p></body></html>"
    is_article, signals = classify_page(
        parse_html(thin),
        "https://herald.example/2024/05/01/update",
        article_patterns=[re.compile(r"/\d{4}/\d{2}/\d{2}/")],
    )
    assert is_article and "url-pattern" in signals


def test_jsonld_collection_page_overrides_og_article() -> None:
    """Section fronts built from article templates keep og:type=article (the New York Times does)."""
    html = FRONT.replace('content="website">', 'content="article">').replace(
        "</head>", '<script type="application/ld+json">{"@type": "CollectionPage"}</script></head>'
    )
    is_article, signals = classify_page(parse_html(html), "https://herald.example/section/world")
    assert not is_article and "jsonld:CollectionPage" in signals
