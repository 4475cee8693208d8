"""Scrapy item pipelines: thin glue from the spider's article items to records in the archive.

An item is a dict made by the spider (a `PageItem`, crawler.items), a `RecordItem` once it is an article's record;
the pure work happens in pipelines.extract.article, pipelines.records.build and pipelines.state.dedup.
"""

import logging
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.distributed.run import shared_run_of
from crawler.items import PageItem, RecordItem
from crawler.session import archive_session
from pipelines.extract.pool import ExtractionPool, default_workers
from pipelines.records.build import Capture, InvalidRecordError, build_record, rekeyed
from pipelines.records.page import page_content
from pipelines.records.versions import compare
from pipelines.run.report import site_stat
from pipelines.state.dedup import Claim, DuplicateIndex, RecordIds
from pipelines.state.seen import remember_record
from pipelines.state.texts import SharedDuplicateIndex, load_earlier_texts, write_run_texts

log = logging.getLogger(__name__)


class ExtractPipeline:
    """Page bytes → record (article or not, and the content fields, from an extraction worker; capture facts from
    the crawl). A page that is not an article is dropped here, counted as the spider used to count it."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.crawl_id = archive_session(crawler).crawl_id
        workers = crawler.settings.getint("EXTRACT_WORKERS")
        self.pool = ExtractionPool(default_workers() if workers < 0 else workers, work=page_content)
        # Closed by close_spider() when Scrapy closes the spider itself; an interrupted crawl that was stopped
        # where it was (crawler.shutdown) only sends spider_closed: the pages in hand are not waited for.
        crawler.signals.connect(lambda: self.pool.close(kill=True), signal=signals.spider_closed, weak=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_item(self, item: PageItem) -> RecordItem:
        content = await self.pool.extract(item["body"], item["url"], fetched_at=item["fetched_at"],
                                          hints=item["discovery"].get("hints"), content_type=item.get("content_type"),
                                          rules=item.get("rules"), article_patterns=item.get("article_patterns", ()),
                                          deny_patterns=item.get("deny_patterns", ()))
        if content["page"] != "article":
            if content["page"] == "empty":
                self.stats.inc_value("newsarchive/empty_pages")
            raise DropItem(f"{item['url']}: not an article ({', '.join(content['article_signals'])})",
                           log_level="DEBUG")
        self.stats.inc_value("newsarchive/articles")
        self.stats.inc_value(site_stat(item["site"], "articles"))
        warc = item["warc"]
        if not warc:
            self.stats.inc_value("newsarchive/errors")
            raise DropItem(f"no WARC capture for {item['url']}: not recorded (capture extension disabled?)")
        if content.get("extraction_failed"):
            self.stats.inc_value("newsarchive/extraction_failures")
        capture = Capture(
            url=item["url"], requested_url=item["requested_url"], fetched_at=item["fetched_at"],
            http_status=item["status"], warc=warc, site=item["site"], crawl_id=self.crawl_id,
            discovery=item["discovery"], article_signals=tuple(content["article_signals"]),
            rendered=bool(item.get("rendered")),
        )
        return {"record": build_record(content, capture), "fetch": item.get("fetch")}

    def close_spider(self) -> None:
        self.pool.close()


class VersionPipeline:
    """Sites that track versions (docs/versions.md): a record of an article the archive holds is a new version
    when its extracted title or text changed, and is dropped when they did not (the page's capture is archived
    all the same). The comparison is on the extracted text, so a page whose chrome alone changed (a related-
    stories list, a ticker, ads) makes no version."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.session = archive_session(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: RecordItem) -> RecordItem:
        record = item["record"]
        seen = self.session.seen
        if seen is None or record["site"] not in self.session.versioned_sites:
            return item
        if (fetch := item.get("fetch")) is not None:
            seen.save_fetch(fetch)  # when it was fetched, and its validators: the revisit schedule's
        previous = seen.latest_version(record["id"])
        if previous is None:
            return item
        if not record["text"].strip() and previous.text.strip():
            self.stats.inc_value("newsarchive/revisits/no_text")
            raise DropItem(f"{record['url']}: no text extracted this time; not taken for a version that removed "
                           "every paragraph", log_level="DEBUG")
        changes = compare(previous.title, previous.text, record["title"], record["text"])
        if changes is None:
            self.stats.inc_value("newsarchive/revisits/unchanged")
            raise DropItem(f"{record['url']}: text unchanged since version {previous.version}; no new record",
                           log_level="DEBUG")
        record.update({"version": previous.version + 1, "previous_id": previous.capture_id,
                       "changed_at": record["fetched_at"], "changes": changes.as_dict()})  # type: ignore[typeddict-item]
        item["new_version"] = True
        self.stats.inc_value("newsarchive/versions")
        return item


class DedupPipeline:
    """Mark syndicated copies and repeated captures (`duplicate_of`), within the run and against earlier runs;
    keep record ids unique: a second record of an article (an alias) is dropped, its URLs remembered, and a
    record whose canonical URL is another article's is re-keyed on its own URL."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.session = archive_session(crawler)
        self.incremental = crawler.settings.getbool("INCREMENTAL")
        run = shared_run_of(crawler)
        self.index = DuplicateIndex() if run is None else SharedDuplicateIndex(run.client, run.prefix + "texts:")
        self.ids = RecordIds()
        loaded = load_earlier_texts(self.index, self.session.store)
        if loaded:
            log.info("near-duplicate index: %d text(s) of earlier runs loaded", loaded)
        session = self.session
        session.save_state_at_end("near-duplicate texts",
                                  lambda: write_run_texts(self.index, session.spool, session.crawl_id))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: RecordItem) -> RecordItem:
        record = item["record"]
        seen = self.session.seen
        taken_earlier = (self.incremental and not item.get("new_version") and seen is not None
                         and seen.seen(record["canonical_url"]))
        claim = self.ids.claim(record, taken_earlier=taken_earlier, index=self.index)
        if claim is Claim.REKEY:
            self.stats.inc_value("newsarchive/rekeyed")
            log.debug("%s: its canonical URL %s is another article's; recorded under its own URL", record["url"],
                      record["canonical_url"])
            record = item["record"] = rekeyed(record)
            if record["id"] in self.ids:
                claim = Claim.ALIAS
        if claim is Claim.ALIAS:
            self.stats.inc_value("newsarchive/aliases")
            if seen is not None:
                remember_record(seen, record)
            raise DropItem(f"{record['url']}: the article of record {record['id']} ({record['canonical_url']}), "
                           "already written; not recorded twice", log_level="DEBUG")  # counted; the item is long
        self.ids.add(record)
        if self.index.link(record)["duplicate_of"]:
            self.stats.inc_value("newsarchive/duplicates")
        return item


class RecordWriterPipeline:
    """Append the record to the JSONL.gz file of its capture's WARC, in the spool, and to the WARC itself
    as a metadata record (the session does both)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.session = archive_session(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: RecordItem) -> RecordItem:
        try:
            self.session.add_record(item["record"])
        except InvalidRecordError as error:  # a bug of ours, never a reason to write a broken record
            self.stats.inc_value("newsarchive/errors")
            raise DropItem(f"not recorded: {error}") from error
        self.stats.inc_value("newsarchive/records")
        return item
