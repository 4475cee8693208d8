"""One archive session per crawl: spool, records files, verified background uploads, dedup index, run report.

The WARC capture extension and the record pipeline both write through this object, so the order of
the end of a run is decided in one place: close WARCs, close records, finish uploads, store the dedup
entries they made valid, write the report last.
"""

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines import __version__
from pipelines.records.build import rfc3339
from pipelines.records.files import RecordsFile, records_key_for
from pipelines.state.digests import ArchivedPayload, DigestIndex, delta_key, encode_delta, open_digest_index, sync
from pipelines.store.base import StoredObject, StoreError, StoreOptions, open_store
from pipelines.store.spool import Spool
from pipelines.warc.cdxj import cdxj_path, write_cdxj
from pipelines.warc.writer import RotatingWarcWriter

RECORD_CONTENT_TYPE = 'application/json; profile="https://newsarchive.invalid/schema/record-1.json"'

log = logging.getLogger(__name__)


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

    def __init__(self, archive_uri: str, *, spool_root: Path, store_options: StoreOptions | None = None,
                 crawl_id: str | None = None, upload_workers: int = 2, redis_url: str = "") -> None:
        self.archive_uri = archive_uri
        self.store = open_store(archive_uri, store_options)
        self.spool_root = spool_root
        self.spool = Spool(self.spool_root, self.store)
        self.crawl_id = crawl_id or new_crawl_id()
        self.started_at = datetime.now(UTC)
        self.host = socket.gethostname()
        self._closers: list[Callable[[], None]] = []
        self._records: dict[str, RecordsFile] = {}
        self._uploads: list[Future[list[StoredObject]]] = []
        self._executor = ThreadPoolExecutor(max_workers=upload_workers, thread_name_prefix="upload")
        self.uploaded: list[StoredObject] = []
        self.failed_uploads: list[dict[str, str]] = []
        self.recovered: list[StoredObject] = []
        self.report: dict[str, Any] | None = None
        self.digests: DigestIndex = open_digest_index(archive_uri=archive_uri, spool_root=self.spool_root,
                                                      redis_url=redis_url)
        self._digest_lock = threading.Lock()
        self._pending_payloads: dict[str, list[ArchivedPayload]] = {}  # WARC key → payloads awaiting its upload
        self._verified_warcs: set[str] = set()
        self._added_payloads: list[ArchivedPayload] = []
        self._warc_writer: RotatingWarcWriter | None = None
        self._sites: dict[str, SiteTally] = {}

    # -- writing ---------------------------------------------------------------------------------

    def recover(self) -> None:
        """Upload what a killed run left in the spool (salvaging half-written files)."""
        try:
            self.recovered = self.spool.recover(prepare=self._index_leftover)
        except StoreError as error:
            log.error("could not upload leftovers from %s: %s", self.spool_root, error)
        # What could not go up stays in the spool; the run must say so (exit 3), not report success.
        self.failed_uploads.extend({"key": key, "error": "left in the spool: its upload failed at the start of the run"}
                                   for key in self.spool.pending())
        if self.recovered:
            log.info("uploaded %d file(s) left in the spool by an earlier run", len(self.recovered))

    def _index_leftover(self, key: str) -> None:
        """A WARC salvaged from a killed run gets the CDXJ index its run never wrote."""
        if key.endswith(".warc.gz") and not cdxj_path(self.spool.path(key)).exists():
            write_cdxj(self.spool.path(key))

    def load_digests(self) -> None:
        """Learn the payloads earlier runs archived (their `state/digests/` files not seen yet)."""
        try:
            loaded = sync(self.digests, self.store)
        except Exception as error:  # an unreadable index only costs revisits, never the crawl
            log.error("dedup index not updated from %s: %s", self.archive_uri, error)
            return
        if loaded:
            log.info("dedup index: %d payload(s) of earlier runs loaded", loaded)

    def add_closer(self, closer: Callable[[], None]) -> None:
        """Register a writer's close(); called at the end of the run, before uploads finish."""
        self._closers.append(closer)

    def use_warc_writer(self, writer: RotatingWarcWriter) -> None:
        """The capture's writer, which also takes the records' metadata records; closed at the end of the run."""
        self._warc_writer = writer
        self.add_closer(writer.close)

    # -- dedup -----------------------------------------------------------------------------------

    def archived_payload(self, url: str, payload_digest: str) -> ArchivedPayload | None:
        """The verified earlier capture of this URL with this payload, if any (None when the index fails)."""
        try:
            return self.digests.lookup(url, payload_digest)
        except Exception as error:  # e.g. Redis gone: write the full response instead
            log.warning("dedup lookup failed, archiving %s in full: %s", url, error)
            return None

    def payload_written(self, payload: ArchivedPayload) -> None:
        """A full response was written; it becomes a dedup target once its WARC is uploaded and verified."""
        with self._digest_lock:
            if payload.ref.key not in self._verified_warcs:
                self._pending_payloads.setdefault(payload.ref.key, []).append(payload)
                return
        self._remember([payload])

    def _warc_verified(self, warc_key: str) -> None:
        with self._digest_lock:
            self._verified_warcs.add(warc_key)
            payloads = self._pending_payloads.pop(warc_key, [])
        self._remember(payloads)

    def _remember(self, payloads: list[ArchivedPayload]) -> None:
        if not payloads:
            return
        try:
            self.digests.add(payloads)
        except Exception as error:
            log.error("dedup index: %d payload(s) not remembered: %s", len(payloads), error)
            return
        with self._digest_lock:
            self._added_payloads.extend(payloads)

    # -- records ---------------------------------------------------------------------------------

    def add_record(self, record: dict[str, Any]) -> None:
        """Append a record to the records file of the WARC this capture was written to, and the record
        as a metadata record to the WARC, so WARCs alone are enough to rebuild every record.

        For a revisit, `warc` points at the original response in an earlier WARC (whose records file is
        another run's, write-once); `warc.revisit` says where this capture is.
        """
        warc_key = (record["warc"].get("revisit") or record["warc"])["key"]
        records = self._records.get(warc_key) or self._open_records(warc_key)
        records.append(record)
        self._sites.setdefault(record["site"], SiteTally()).count(record)
        if self._warc_writer is not None:
            payload = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            self._warc_writer.write_metadata(uri=record["url"], refers_to=f"<urn:uuid:{record['capture_id']}>",
                                             payload=payload, content_type=RECORD_CONTENT_TYPE)

    def _open_records(self, warc_key: str) -> RecordsFile:
        records = RecordsFile(self.spool.path(records_key_for(warc_key)))
        self._records[warc_key] = records
        return records

    def warc_closed(self, key: str) -> None:
        """A WARC file is complete: index and upload it.

        Its records file stays open until the end of the run: an item is processed long after its response
        was written when the scraper has a backlog (up to SCRAPER_SLOT_MAX_ACTIVE_SIZE of responses, more
        than several small WARCs), and a finished records file is never reopened (keys are write-once).
        A killed run's open records files are salvaged line by line by the next run's recovery.
        """
        self._uploads.append(self._executor.submit(self._index_and_upload, key))

    def _finish_records(self, warc_key: str) -> None:
        records = self._records.pop(warc_key, None)
        if records is not None:
            records.close()
            self._schedule_upload(records_key_for(warc_key))

    def _schedule_upload(self, key: str) -> None:
        self._uploads.append(self._executor.submit(lambda: [self.spool.upload(key)]))

    def _index_and_upload(self, warc_key: str) -> list[StoredObject]:
        """Index a finished WARC (CDXJ beside it, same basename), upload both, then let its payloads be
        dedup targets; runs in a worker thread."""
        cdxj_key = write_cdxj(self.spool.path(warc_key)).relative_to(self.spool.root).as_posix()
        uploaded = [self.spool.upload(warc_key), self.spool.upload(cdxj_key)]
        self._warc_verified(warc_key)
        return uploaded

    # -- the end of a run ------------------------------------------------------------------------

    def finish(self, reason: str, *, stats: dict[str, Any], sites: list[str]) -> dict[str, Any]:
        """Close writers, wait for verified uploads, then write the run report (last)."""
        for closer in self._closers:
            closer()
        for warc_key in list(self._records):
            self._finish_records(warc_key)
        for future in self._uploads:
            try:
                self.uploaded.extend(future.result())
            except Exception as error:  # StoreError, or e.g. a full disk while indexing: the report must still go out
                log.error("upload failed; the file stays in the spool %s: %s", self.spool_root, error)
                self.failed_uploads.append({"error": f"{type(error).__name__}: {error}"})
        self._executor.shutdown(wait=True)
        self._store_digests()
        self.report = self._build_report(reason, stats, sites)
        self._write_report()
        return self.report

    def _store_digests(self) -> None:
        """This run's dedup entries as a write-once object, so other hosts and fresh spools learn them.

        Not marked as loaded here: the next run reloads them once, which is harmless (first entry wins).
        """
        if self._added_payloads:
            key = delta_key(self.crawl_id)
            path = self.spool.path(key)
            partial = path.with_name(path.name + ".open")
            partial.write_bytes(encode_delta(self._added_payloads))
            os.replace(partial, path)
            self.upload_state(key, "dedup entries")
        self.digests.close()

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
            "per_site": per_site_report(stats, sites, self._sites),
            "objects": [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in objects],
            "recovered": [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in self.recovered],
            "failed_uploads": self.failed_uploads,
        }

    def _write_report(self) -> None:
        key = f"runs/{self.crawl_id}.json"
        path = self.spool.path(key)
        path.write_text(json.dumps(self.report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self._upload_now(key, "run report")

    def upload_state(self, key: str, what: str) -> None:
        """Upload a state file written at the end of the run (it is listed in the run's manifest)."""
        stored = self._upload_now(key, what)
        if stored is not None:
            self.uploaded.append(stored)

    def _upload_now(self, key: str, what: str) -> StoredObject | None:
        """Upload a file written at the end of the run; a failure is reported and the file kept for recovery."""
        try:
            return self.spool.upload(key)
        except StoreError as error:
            log.error("%s stays in the spool %s: %s", what, self.spool_root, error)
            self.failed_uploads.append({"key": key, "error": str(error)})
            return None


SITE_COUNTERS = ("discovered", "fetched", "articles", "errors")
COVERAGE_FIELDS = ("published_at", "authors", "text")


@dataclass
class SiteTally:
    """What the records written for one site say: how many, how many revisits, which fields were found."""

    records: int = 0
    revisits: int = 0
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COVERAGE_FIELDS, 0))

    def count(self, record: dict[str, Any]) -> None:
        self.records += 1
        self.revisits += bool(record["warc"].get("revisit"))
        for name in COVERAGE_FIELDS:
            self.found[name] += bool(record.get(name))

    def coverage(self) -> dict[str, float | None]:
        """Share of records with each field (None without records: nothing to measure)."""
        return {name: round(n / self.records, 4) if self.records else None for name, n in self.found.items()}


def per_site_report(stats: dict[str, Any], sites: list[str], tallies: dict[str, SiteTally]) -> dict[str, Any]:
    """Per site: the spider's counters (`newsarchive/site/<site>/<counter>` stats) and what the records say."""
    prefix = "newsarchive/site/"
    named = {key[len(prefix):].rsplit("/", 1)[0] for key in stats if key.startswith(prefix)}
    report = {}
    for site in sorted({*sites, *named, *tallies}):
        counter = {name: stats.get(f"{prefix}{site}/{name}", 0) for name in (*SITE_COUNTERS, "blocked")}
        tally = tallies.get(site, SiteTally())
        report[site] = {
            **{name: counter[name] for name in SITE_COUNTERS},
            "records": tally.records,
            "revisits": tally.revisits,
            "blocked": bool(counter["blocked"]),
            "coverage": tally.coverage(),
        }
    return report


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
