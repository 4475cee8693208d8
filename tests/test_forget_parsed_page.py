"""A page's parsed tree does not outlive its links: the response waits in Scrapy's scraper slot for its item's
extraction, and the slot counts body bytes only (crawler.spiders.news.forget_parsed_page)."""

import gc
import weakref

from scrapy.http import HtmlResponse

from crawler.spiders.news import forget_parsed_page

PAGE = b"<html><head><title>T</title></head><body><a href='/a'>a</a><p>" + b"text " * 2000 + b"</p></body></html>"


def test_the_parsed_tree_and_decoded_text_are_freed_and_the_response_still_answers() -> None:
    response = HtmlResponse("https://news.example/", body=PAGE, encoding="utf-8")
    tree = weakref.ref(response.selector.root)  # what the spider's xpath and link extraction parse and cache
    assert response.text.startswith("<html>")
    forget_parsed_page(response)
    gc.collect()
    assert tree() is None  # freed while the response itself lives on (this fails if Scrapy renames its caches)
    assert response.body == PAGE
    assert response.xpath("//a/@href").get() == "/a"  # a later reader parses again
