"""A record-shaped view of one page without a crawl (for `newsarchive extract` and re-checks)."""

from typing import Any

from pipelines.extract.article import extract_article
from pipelines.extract.classify import classify_page
from pipelines.extract.document import parse_html
from pipelines.extract.urls import registered_domain
from pipelines.records.build import EXTRACTOR, SCHEMA_VERSION, sha1_hex
from pipelines.state.simhash import simhash_hex


def page_record(html: bytes, url: str, *, content_type: str | None = None) -> dict[str, Any]:
    """The record fields that depend only on the page (no capture, WARC or crawl fields)."""
    content = extract_article(html, url, content_type=content_type)
    document = parse_html(html, content_type=content_type)
    is_article, signals = classify_page(document, url) if document is not None else (False, ["empty"])
    return {
        "schema_version": SCHEMA_VERSION,
        "id": sha1_hex(content["canonical_url"]),
        "url": url,
        "domain": registered_domain(url),
        **content,
        "is_article": is_article,
        "article_signals": signals,
        "text_sha1": sha1_hex(content["text"]),
        "simhash": simhash_hex(content["text"]),
        "extractor": dict(EXTRACTOR),
    }
