"""One archive session per crawl: spool, records files, verified background uploads and the run report.

The WARC capture extension and the record pipeline both write through this object, so the order of
the end of a run is decided in one place: close WARCs, close records, finish uploads, write the report last.
"""

import json
import logging
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler import __version__
from pipelines.cdxj import write_cdxj
from pipelines.records import rfc3339
from pipelines.records_file import RecordsFile, records_key_for
from pipelines.spool import Spool, default_spool_root
from pipelines.storage import StoredObject, StoreError, open_store

log = logging.getLogger(__name__)
SESSION_ATTRIBUTE = "_newsarchive_session"


def new_crawl_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20261121T050600Z-1a2b3c4d`."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def redact_uri(uri: str) -> str:
    """An archive URI safe for logs and reports (no user:password@)."""
    scheme, sep, rest = uri.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


class ArchiveSession:
    """Owns everything a crawl writes; see module docstring."""

    def __init__(self, archive_uri: str, *, spool_root: Path | None = None, crawl_id: str | None = None,
                 upload_workers: int = 2) -> None:
        self.archive_uri = archive_uri
        self.store = open_store(archive_uri)
        self.spool_root = spool_root or default_spool_root(archive_uri)
        self.spool = Spool(self.spool_root, self.store)
        self.crawl_id = crawl_id or new_crawl_id()
        self.started_at = datetime.now(UTC)
        self.host = socket.gethostname()
        self._closers: list[Callable[[], None]] = []
        self._records: dict[str, RecordsFile] = {}
        self._closed_warcs: list[str] = []
        self._uploads: list[Future[list[StoredObject]]] = []
        self._executor = ThreadPoolExecutor(max_workers=upload_workers, thread_name_prefix="upload")
        self.uploaded: list[StoredObject] = []
        self.failed_uploads: list[dict[str, str]] = []
        self.recovered: list[StoredObject] = []
        self.report: dict[str, Any] | None = None

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> "ArchiveSession":
        """The crawl's session, created (and leftovers of a killed run recovered) on first use."""
        session = getattr(crawler, SESSION_ATTRIBUTE, None)
        if session is None:
            settings = crawler.settings
            session = cls(settings.get("ARCHIVE_URI"), crawl_id=settings.get("CRAWL_ID") or None)
            session.recover()
            setattr(crawler, SESSION_ATTRIBUTE, session)
            crawler.signals.connect(session._spider_closed, signal=signals.spider_closed)
        return session

    # -- writing ---------------------------------------------------------------------------------

    def recover(self) -> None:
        """Upload what a killed run left in the spool (salvaging half-written files)."""
        try:
            self.recovered = self.spool.recover()
        except StoreError as error:
            log.error("could not upload leftovers from %s: %s", self.spool_root, error)
        if self.recovered:
            log.info("uploaded %d file(s) left in the spool by an earlier run", len(self.recovered))

    def add_closer(self, closer: Callable[[], None]) -> None:
        """Register a writer's close(); called at the end of the run, before uploads finish."""
        self._closers.append(closer)

    def add_record(self, record: dict[str, Any]) -> None:
        """Append a record to the records file of the WARC its capture is in."""
        warc_key = record["warc"]["key"]
        records = self._records.get(warc_key)
        if records is None:
            if warc_key in self._closed_warcs[:-1]:
                # Arrived after its records file was finished (two rotations later); keep it anyway.
                log.warning("late record for %s goes to the newest records file", warc_key)
                warc_key = next(reversed(self._records), warc_key)
            records = self._records.get(warc_key) or self._open_records(warc_key)
        records.append(record)

    def _open_records(self, warc_key: str) -> RecordsFile:
        records = RecordsFile(self.spool.path(records_key_for(warc_key)))
        self._records[warc_key] = records
        return records

    def warc_closed(self, key: str) -> None:
        """A WARC file is complete: upload it; finish records files of WARCs closed before it."""
        self._closed_warcs.append(key)
        self._uploads.append(self._executor.submit(self._index_and_upload, key))
        for older in self._closed_warcs[:-1]:
            self._finish_records(older)

    def _finish_records(self, warc_key: str) -> None:
        records = self._records.pop(warc_key, None)
        if records is not None:
            records.close()
            self._schedule_upload(records_key_for(warc_key))

    def _schedule_upload(self, key: str) -> None:
        self._uploads.append(self._executor.submit(lambda: [self.spool.upload(key)]))

    def _index_and_upload(self, warc_key: str) -> list[StoredObject]:
        """Index a finished WARC (CDXJ beside it, same basename), then upload both; runs in a worker thread."""
        cdxj_key = write_cdxj(self.spool.path(warc_key)).relative_to(self.spool.root).as_posix()
        return [self.spool.upload(warc_key), self.spool.upload(cdxj_key)]

    # -- the end of a run ------------------------------------------------------------------------

    def _spider_closed(self, spider: Any, reason: str) -> None:
        self.finish(reason, stats=spider.crawler.stats.get_stats(), sites=getattr(spider, "site_names", []))

    def finish(self, reason: str, *, stats: dict[str, Any], sites: list[str]) -> dict[str, Any]:
        """Close writers, wait for verified uploads, then write the run report (last)."""
        for closer in self._closers:
            closer()
        for warc_key in list(self._records):
            self._finish_records(warc_key)
        for future in self._uploads:
            try:
                self.uploaded.extend(future.result())
            except StoreError as error:
                log.error("upload failed; the file stays in the spool %s: %s", self.spool_root, error)
                self.failed_uploads.append({"error": str(error)})
        self._executor.shutdown(wait=True)
        self.report = self._build_report(reason, stats, sites)
        self._write_report()
        return self.report

    def _build_report(self, reason: str, stats: dict[str, Any], sites: list[str]) -> dict[str, Any]:
        objects = sorted(self.uploaded, key=lambda o: o.key)
        return {
            "crawl_id": self.crawl_id,
            "software": f"newsarchive/{__version__}",
            "host": self.host,
            "archive": redact_uri(self.archive_uri),
            "sites": sites,
            "started_at": rfc3339(self.started_at),
            "finished_at": rfc3339(datetime.now(UTC)),
            "exit_reason": reason,
            "counts": run_counts(stats),
            "objects": [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in objects],
            "recovered": [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in self.recovered],
            "failed_uploads": self.failed_uploads,
        }

    def _write_report(self) -> None:
        key = f"runs/{self.crawl_id}.json"
        path = self.spool.path(key)
        path.write_text(json.dumps(self.report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        try:
            self.spool.upload(key)
        except StoreError as error:
            log.error("run report stays in the spool %s: %s", self.spool_root, error)
            self.failed_uploads.append({"key": key, "error": str(error)})


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The numbers operators look at, from Scrapy's stats."""
    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "bytes": stats.get("downloader/response_bytes", 0),
        "articles": stats.get("newsarchive/articles", 0),
        "records": stats.get("newsarchive/records", 0),
        "duplicates": stats.get("newsarchive/duplicates", 0),
        "warc_records": stats.get("warc/exchanges", 0),
        "errors": stats.get("newsarchive/errors", 0) + stats.get("log_count/ERROR", 0),
        "http_errors": sum(v for k, v in stats.items() if k.startswith("downloader/response_status_count/")
                           and not k.endswith(("/200", "/301", "/302", "/303", "/304", "/307", "/308"))),
    }
