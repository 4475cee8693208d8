"""Feeds of every common format give entry URLs with title and date hints."""

import json

import pytest

from crawler.discovery.feeds import FeedError, parse_feed

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Herald</title>
<item><title>Rates rise</title><link>https://herald.example/2024/05/17/rates</link>
<pubDate>Fri, 17 May 2024 09:30:00 +0200</pubDate></item></channel></rss>"""
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Herald</title>
<entry><title>Rates rise</title><link href="/2024/05/17/rates"/>
<updated>2024-05-17T07:30:00Z</updated></entry></feed>"""


def test_rss_dates_become_utc() -> None:
    (entry,) = parse_feed(RSS, "https://herald.example/feed.xml")
    assert entry.url == "https://herald.example/2024/05/17/rates"
    assert entry.hints() == {"title": "Rates rise", "published_at": "2024-05-17T07:30:00Z"}


def test_atom_relative_links_resolve_against_the_feed() -> None:
    (entry,) = parse_feed(ATOM, "https://herald.example/atom.xml")
    assert entry.url == "https://herald.example/2024/05/17/rates"


def test_json_feed() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "https://herald.example/a", "title": "A", "date_published": "2024-05-17T07:30:00Z"},
        {"id": "2"}]}).encode()
    assert [e.url for e in parse_feed(body, "https://herald.example/feed.json")] == ["https://herald.example/a"]


@pytest.mark.parametrize("body", [b"<html><body><p>hello</p>", b"\x00\x01\x02", b"{not json"])
def test_non_feeds_are_refused(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body, "https://herald.example/feed.xml")


def test_json_feed_fields_of_the_wrong_type_are_no_hints() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"url": "https://herald.example/a", "title": {"x": 1}, "date_published": 20240517},
        {"url": "https://herald.example/b", "title": "B"}]}).encode()
    assert [e.hints() for e in parse_feed(body, "https://herald.example/feed.json")] == [{}, {"title": "B"}]
    not_a_list = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": 5}).encode()
    assert parse_feed(not_a_list, "https://herald.example/feed.json") == []


@pytest.mark.parametrize("ref", ["&#xD800;", "&#57343;", "&#1114112;", "&#x110000;", "&#99999999999999999999999;"])
def test_character_references_to_no_character_do_not_lose_the_feed(ref: str) -> None:
    """feedparser's fallback parser raised on these, losing the whole feed."""
    body = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>t{ref}</title>"
            f"<item><title>bad {ref}</title><link>https://herald.example/a{ref}</link></item>"
            "<item><title>good &#233;</title><link>https://herald.example/b</link></item></channel></rss>").encode()
    entries = parse_feed(body, "https://herald.example/feed.xml")
    assert [e.url for e in entries][1:] == ["https://herald.example/b"]
    assert entries[1].title == "good é" and "\ufffd" in (entries[0].title or "")
