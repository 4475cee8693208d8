"""Our sitemap parser keeps Google News fields and refuses hostile input."""

import gzip

import pytest

from crawler.discovery.sitemaps import SitemapError, parse_sitemap

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://herald.example/world/2024/05/17/a</loc><lastmod>2024-05-17T10:00:00Z</lastmod>
    <image:image><image:loc>https://herald.example/a.jpg</image:loc><image:title>Photo</image:title></image:image>
    <news:news><news:publication><news:name>Herald</news:name><news:language>de</news:language></news:publication>
      <news:publication_date>2024-05-17T09:30:00+02:00</news:publication_date><news:title>Headline A</news:title>
    </news:news></url>
  <url><loc> https://herald.example/world/2024/05/16/b </loc></url>
</urlset>"""


def test_news_fields_are_kept_as_hints() -> None:
    first, second = parse_sitemap(NEWS).urls
    assert first.loc == "https://herald.example/world/2024/05/17/a"
    assert first.hints() == {"published_at": "2024-05-17T09:30:00+02:00", "title": "Headline A", "language": "de",
                             "lastmod": "2024-05-17T10:00:00Z"}
    assert first.images == ("https://herald.example/a.jpg",)
    assert second.loc == "https://herald.example/world/2024/05/16/b" and second.hints() == {}


def test_index_and_mislabelled_gzip() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://herald.example/sm-2024-05.xml.gz</loc><lastmod>2024-05-31</lastmod></sitemap></sitemapindex>"""
    result = parse_sitemap(gzip.compress(index))
    assert [s.loc for s in result.sitemaps] == ["https://herald.example/sm-2024-05.xml.gz"]
    assert result.sitemaps[0].lastmod == "2024-05-31" and result.urls == []


def test_url_cap_truncates() -> None:
    body = b"<urlset>" + b"".join(b"<url><loc>https://h.example/%d</loc></url>" % i for i in range(50)) + b"</urlset>"
    result = parse_sitemap(body, max_urls=10)
    assert len(result.urls) == 10 and result.truncated


@pytest.mark.parametrize("body, message", [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
     b"<urlset><url><loc>&lol2;</loc></url></urlset>", "entit"),
    (b"<html><body>not a sitemap</body></html>", "not a sitemap"),
    (b"\x1f\x8b\x08\x00garbage", "gzip"),
    (b"<urlset><url><loc>https://a", "well-formed"),
    (b"", "empty"),
])
def test_hostile_or_broken_input_is_refused_with_a_reason(body: bytes, message: str) -> None:
    with pytest.raises(SitemapError, match=message):
        parse_sitemap(body)


def test_one_careless_url_costs_that_entry_at_most() -> None:
    """A bare `&`, a reference to no character or an undeclared entity in a <loc> ended the parse there."""
    locs = [b"https://h.example/a?id=1&page=2", b"https://h.example/b&#xD800;&#1;", b"https://h.example/c&nbsp;d",
            b"https://h.example/d?x=1&amp;y=&#233;", b"https://h.example/after"]
    body = b"<urlset>" + b"".join(b"<url><loc>%s</loc></url>" % loc for loc in locs) + b"</urlset>"
    result = parse_sitemap(body)
    assert [e.loc for e in result.urls] == ["https://h.example/a?id=1&page=2", "https://h.example/b\ufffd\ufffd",
                                            "https://h.example/c&nbsp;d", "https://h.example/d?x=1&y=\xe9",
                                            "https://h.example/after"]
    assert not result.truncated
    utf16 = body.replace(b"&", b"&amp;").decode().replace("<urlset>", '<?xml version="1.0" encoding="UTF-16"?><urlset>')
    assert len(parse_sitemap(utf16.encode("utf-16")).urls) == len(locs)  # left as it is, still parsed
