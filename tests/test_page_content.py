"""The extraction worker's whole job for one crawled page (pipelines.records.page): one parse, article or not,
and for an article the content and fingerprints the record takes, the same as the reactor side used to compute."""

import re

from crawler.demo.catalog import ARTICLE_PATTERN, Catalog, bundled_pages
from crawler.demo.render import homepage
from pipelines.extract.article import extract_article
from pipelines.extract.classify import classify_page
from pipelines.extract.document import parse_html
from pipelines.records.build import sha1_hex
from pipelines.records.page import page_content
from pipelines.records.simhash import simhash_hex

URL = "https://news.example/world/2019/11/19/sweden-drops-assange-rape-investigation"


def test_article_page_gets_content_signals_and_fingerprints() -> None:
    page = next(p for p in bundled_pages() if p.slug == "sweden-drops-assange-rape-investigation")
    patterns = (re.compile(ARTICLE_PATTERN),)
    result = page_content(page.body, URL, article_patterns=patterns)
    expected = extract_article(page.body, URL)
    assert result["page"] == "article"
    assert result["article_signals"] == classify_page(parse_html(page.body), URL, article_patterns=patterns)[1]
    assert "url-pattern" in result["article_signals"]
    assert result["text"] == expected["text"] and result["title"] == expected["title"]
    assert result["simhash"] == simhash_hex(expected["text"]) and result["text_sha1"] == sha1_hex(expected["text"])


def test_listing_and_empty_pages_are_not_articles() -> None:
    listing = page_content(homepage("https://news.example", Catalog()).encode(), "https://news.example/")
    assert listing["page"] == "other" and "homepage" in listing["article_signals"] and "text" not in listing
    assert page_content(b"   ", "https://news.example/x") == {"page": "empty", "article_signals": ["empty"]}
    denied = page_content(b"<html><body><p>x</p></body></html>", "https://news.example/private/a",
                          deny_patterns=(re.compile("/private/"),))
    assert denied == {"page": "other", "article_signals": ["deny-pattern"]}
