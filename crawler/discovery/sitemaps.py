"""Sitemap parsing that keeps what news crawls need (Scrapy's SitemapSpider drops the news: fields).

Streaming (iterparse), gzip-aware (also when mislabelled), size-capped, and refusing DTDs/entities so
a hostile sitemap cannot blow up memory (billion laughs) or reach the network (XXE).
"""

import io
from dataclasses import dataclass, field

from lxml import etree

from crawler.discovery.references import ampersands_repaired, char_refs_repaired
from pipelines.store.members import GZIP_MAGIC
from pipelines.warc.codings import decoded_prefix

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
MAX_URLS = 50_000


class SitemapError(ValueError):
    """A sitemap that cannot be used; the message says why."""


@dataclass(frozen=True)
class SitemapEntry:
    """One <url> (or one <sitemap> of an index) with the dates and news fields kept as hints."""

    loc: str
    lastmod: str | None = None
    news_publication_date: str | None = None
    news_title: str | None = None
    news_language: str | None = None
    images: tuple[str, ...] = ()

    def hints(self) -> dict[str, str]:
        """What extraction may use when the page itself is silent (RECORDS.md date_source=sitemap)."""
        found = {"published_at": self.news_publication_date, "title": self.news_title,
                 "language": self.news_language, "lastmod": self.lastmod}
        return {key: value for key, value in found.items() if value}


@dataclass
class Sitemap:
    """A parsed sitemap: `urls` for a urlset, `sitemaps` for a sitemap index."""

    urls: list[SitemapEntry] = field(default_factory=list)
    sitemaps: list[SitemapEntry] = field(default_factory=list)
    truncated: bool = False


def decompress(body: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """Gunzip if the bytes are gzip (a `.xml.gz` file, whatever the headers said), never beyond `limit` bytes."""
    if not body.startswith(GZIP_MAGIC):
        return body[:limit]
    data = decoded_prefix(body, ["gzip"], limit)
    if not data:
        raise SitemapError("broken gzip: nothing decodes")
    return data


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _entry(element: etree._Element) -> SitemapEntry | None:
    loc = None
    for child in element:
        if _local(child.tag) == "loc" and child.text:
            loc = child.text.strip()
    if not loc:
        return None
    images = tuple(text for child in element.iter() if _local(child.tag) == "image"
                   for text in [_child_text(child, "loc")] if text)
    news = next((child for child in element if _local(child.tag) == "news"), None)
    return SitemapEntry(loc=loc, lastmod=_child_text(element, "lastmod"),
                        news_publication_date=_child_text(news, "publication_date") if news is not None else None,
                        news_title=_child_text(news, "title") if news is not None else None,
                        news_language=_child_text(news, "language") if news is not None else None, images=images)


def parse_sitemap(body: bytes, *, max_urls: int = MAX_URLS) -> Sitemap:
    """Parse a urlset or sitemapindex; raise SitemapError for anything that is not one."""
    data = decompress(body)
    if not data.strip():
        raise SitemapError("empty document")
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data[:65536]:
        raise SitemapError("DTDs and entities are not allowed in sitemaps (possible entity attack)")
    data = char_refs_repaired(ampersands_repaired(data))  # one careless URL must not end the parse
    result = Sitemap()
    root_seen = False
    events = etree.iterparse(io.BytesIO(data), events=("start", "end"), resolve_entities=False,
                             no_network=True, load_dtd=False, huge_tree=False, recover=False)
    try:
        for event, element in events:
            name = _local(element.tag)
            if event == "start":
                if not root_seen and name not in ("urlset", "sitemapindex"):
                    raise SitemapError(f"not a sitemap: root element <{name}>")
                root_seen = True
                continue
            if name not in ("url", "sitemap") or element.getparent() is None:
                continue
            entry = _entry(element)
            if entry is not None:
                (result.urls if name == "url" else result.sitemaps).append(entry)
            element.clear()
            if len(result.urls) + len(result.sitemaps) >= max_urls:
                result.truncated = True
                break
    except etree.XMLSyntaxError as error:
        if not (result.urls or result.sitemaps):
            raise SitemapError(f"not well-formed XML: {error}") from error
        result.truncated = True  # keep what parsed before the break
    return result
