"""Scrapy item pipelines: thin glue from the spider's article items to records in the archive.

An item is a dict made by the spider (see crawler.spiders.news.article_item); the pure work happens
in pipelines.extract, pipelines.records and pipelines.dedup.
"""

import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.dedup import DuplicateIndex
from pipelines.extract import extract_article
from pipelines.records import Capture, build_record, capture_id
from pipelines.session import ArchiveSession

log = logging.getLogger(__name__)


def with_capture_id(record: dict[str, Any]) -> dict[str, Any]:
    """`capture_id` names this capture: the revisit record when the payload was deduplicated, while
    `warc` keeps pointing at the original response (the bytes `show --raw` reads)."""
    revisit = record["warc"].get("revisit")
    if revisit:
        record["capture_id"] = capture_id(revisit["record_id"])
    return record


class ExtractPipeline:
    """Page bytes → record (content fields from the extractor, capture facts from the crawl)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.crawl_id = ArchiveSession.for_crawler(crawler).crawl_id

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if not item.get("warc"):
            self.stats.inc_value("newsarchive/errors")
            raise DropItem(f"no WARC capture for {item['url']}: not recorded (capture extension disabled?)")
        content = extract_article(item["body"], item["url"], fetched_at=item["fetched_at"],
                                  hints=item["discovery"].get("hints"), content_type=item.get("content_type"))
        capture = Capture(
            url=item["url"], requested_url=item["requested_url"], fetched_at=item["fetched_at"],
            http_status=item["status"], warc=item["warc"], site=item["site"], crawl_id=self.crawl_id,
            discovery=item["discovery"], article_signals=tuple(item["article_signals"]),
        )
        return {"record": with_capture_id(build_record(content, capture))}


class DedupPipeline:
    """Mark syndicated copies and repeated captures within the run (`duplicate_of`)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.index = DuplicateIndex()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        record = self.index.link(item["record"])
        if record["duplicate_of"]:
            self.stats.inc_value("newsarchive/duplicates")
        return item


class RecordWriterPipeline:
    """Append the record to the JSONL.gz file of its capture's WARC, in the spool, and to the WARC itself
    as a metadata record (the session does both)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.session = ArchiveSession.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        self.session.add_record(item["record"])
        self.stats.inc_value("newsarchive/records")
        return item
