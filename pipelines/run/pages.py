"""Records of pages read back from WARCs: the capture facts an import or a re-extraction knows, and the record.

No network: the page comes from the WARC, the content from the current extractor, and what only the crawl
knew (site, discovery) from the old record when there is one.
"""

from __future__ import annotations

import re

from pipelines.extract.article import extract_article
from pipelines.extract.classify import classify_page
from pipelines.extract.document import parse_html
from pipelines.records.build import Capture, build_record
from pipelines.records.types import Discovery, Record, WarcPointer
from pipelines.warc.reader import Page, parse_date


def page_capture(page: Page, *, warc_key: str, site: str, crawl_id: str, discovery: Discovery,
                 article_signals: tuple[str, ...]) -> Capture:
    """The capture facts of a page read from a WARC that no crawl of ours has described (an import)."""
    pointer = WarcPointer(**{
        "key": warc_key,
        "filename": warc_key.rsplit("/", 1)[-1],
        "offset": page.offset,
        "length": page.length,
        "record_id": page.record_id,
        "payload_digest": page.payload_digest,
    })
    return Capture(url=page.url, requested_url=page.url, fetched_at=page.fetched_at, http_status=page.status,
                   warc=pointer, site=site, crawl_id=crawl_id, discovery=discovery, article_signals=article_signals)


def recorded_capture(record: Record, crawl_id: str) -> Capture:
    """The capture facts of an existing record, for rebuilding it: only the crawl knew its site and discovery."""
    return Capture(
        url=record["url"], requested_url=record["requested_url"], fetched_at=parse_date(record["fetched_at"]),
        http_status=record["http_status"], warc=record["warc"], site=record["site"], crawl_id=crawl_id,
        discovery=record["discovery"], article_signals=tuple(record["article_signals"]),
    )


def article_signals(page: Page) -> tuple[str, ...] | None:
    """Why the page is an article (the crawler's classifier, no site patterns), None if it is not one."""
    document = parse_html(page.body, content_type=page.content_type)
    if document is None:
        return None
    is_article, signals = classify_page(document, page.url)
    return tuple(signals) if is_article else None


def archived_page_record(page: Page, capture: Capture) -> Record:
    """The record of an archived page: the current extractor over its payload, plus the capture facts."""
    content = extract_article(page.body, page.url, fetched_at=capture.fetched_at,
                              hints=capture.discovery.get("hints"), content_type=page.content_type)
    return build_record(content, capture)


def site_slug(host: str) -> str:
    """A site name for a host without a sites file: `www.bbc.co.uk` → `bbc-co-uk`."""
    return re.sub(r"[^a-z0-9]+", "-", host.lower().removeprefix("www.")).strip("-") or "unknown"
