"""One archive session per crawl: the order of everything a crawl writes, decided in one place.

The WARC capture and the record pipeline both write through this object. It owns the run's output (store,
spool, uploads, report: `RunOutput`), the records files of the WARCs (`RecordsFiles`), their CDXJ indexes
(`WarcIndexes`, pipelines.run.indexing) and the bookkeeping of which payloads may become dedup targets
(`PayloadTracker`). The end of a run: close WARCs, close records files, finish uploads, store the dedup entries
they made valid, write the report last.

A written record and its URLs in the seen-store go together, whatever kills the process: `add_record` marks
the URLs right after the record's line is written, and a records file leaves the spool only after the
seen-store made its marks durable (`flush`, before a records file is finished during the run; the state of the
run is saved before the rest at its end) — or, after a kill, once `recover()` has read its records into the
seen-store again. So the seen-store itself need not write synchronously.

A WARC's records file is finished during the run, once the WARC is closed and none of its captures is still on
its way through the crawl (`capture_held`), and uploaded right after its WARC (`RecordsAfterWarcs`,
pipelines.run.upload_order): a long run's records reach the archive with each WARC (WARCs rotate by size and
age), not all at its end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.extract.pool import ExtractionPool
from pipelines.layout import cdxj_key_for, digests_key, is_records_key, is_warc_key, records_key_for
from pipelines.records.files import RECORD_CONTENT_TYPE, RecordsFiles, record_json
from pipelines.records.types import Record
from pipelines.run.indexing import WarcIndexes
from pipelines.run.output import RunOutput
from pipelines.run.report import RunReport, SiteTally, crawl_counts, per_site_report
from pipelines.run.upload_order import RecordsAfterWarcs
from pipelines.state.digests import ArchivedPayload, PayloadTracker, open_digest_index, sync
from pipelines.state.seen import SeenStore, remember_record, remember_records_file
from pipelines.store.atomic import write_atomic
from pipelines.store.base import StoredObject, StoreError, StoreOptions
from pipelines.warc.cdxj import BATCH_BYTES, LiveIndexes, ready
from pipelines.warc.writer import RotatingWarcWriter

log = logging.getLogger(__name__)


class ArchiveSession:
    """Owns everything a crawl writes; see module docstring."""

    def __init__(self, archive_uri: str, *, spool_root: Path, store_options: StoreOptions | None = None,
                 crawl_id: str | None = None, upload_workers: int = 2, redis_url: str = "",
                 index_batch: int = BATCH_BYTES) -> None:
        self.output = RunOutput(archive_uri, command="crawl", spool_root=spool_root, store_options=store_options,
                                crawl_id=crawl_id, upload_workers=upload_workers)
        self.archive_uri = archive_uri
        self.store = self.output.store
        self.spool = self.output.spool
        self.spool_root = self.output.spool_root
        self.crawl_id = self.output.crawl_id
        self.report: dict[str, Any] | None = None
        # The report this process wrote to runs/: its own, or the merged one of a shared crawl (None: another
        # worker of the shared crawl writes it).
        self.run_report: dict[str, Any] | None = None
        self.payloads = PayloadTracker(open_digest_index(archive_uri=archive_uri, spool_root=self.spool_root,
                                                         redis_url=redis_url))
        # The CDXJ of each WARC is built while it is written, in a worker process of its own (not the reactor's GIL);
        # index_batch 0: when it closes, in an upload thread.
        self.live_indexes = (LiveIndexes(lambda: ExtractionPool(1, warm=ready), index_batch) if index_batch > 0
                             else None)
        self.indexes = WarcIndexes(self.output, self.live_indexes)
        self._records = RecordsFiles(lambda warc_key: self.spool.path(records_key_for(warc_key)))
        self._closers: list[Callable[[], None]] = []
        self._warc_writer: RotatingWarcWriter | None = None
        self._sites: dict[str, SiteTally] = {}
        self._upload_order = RecordsAfterWarcs()  # a records file goes up after its WARC, by one of two threads
        self.seen: SeenStore | None = None
        self.versioned_sites: set[str] = set()  # sites whose records' texts are kept for comparison (versions)
        # A worker of a shared crawl: what its report says of the run, and how it hands the report over
        # (→ the run's merged report, to be written by this worker, when it is the last one).
        self.report_details: dict[str, Any] = {}
        self.share_report: Callable[[dict[str, Any]], RunReport | None] | None = None

    # -- the start of a run ----------------------------------------------------------------------

    def use_seen_store(self, seen: SeenStore, snapshot: Callable[[], str | None]) -> None:
        """The crawl's seen-store (before `recover()`), and how to save its state at the end of the run."""
        self.seen = seen
        self.save_state_at_end("seen-store", snapshot)

    def recover(self) -> None:
        """Upload what a killed run left in the spool: a salvaged WARC gets the CDXJ its run never wrote, the
        records of a records file are added to the seen-store before the file goes up, and a WARC an earlier
        run uploaded without its CDXJ (indexing failed) is indexed now."""
        self.output.recover(prepare=self._prepare_leftover)
        self.indexes.index_uploaded()

    def _prepare_leftover(self, key: str) -> None:
        if is_warc_key(key) and not self.spool.path(cdxj_key_for(key)).exists():
            self.indexes.index(key)
        if is_records_key(key) and self.seen is not None:
            remembered = remember_records_file(self.seen, self.spool.path(key))
            self.seen.flush()  # committed before the file goes up: after a kill then, nothing else holds them
            log.info("seen-store: %d record(s) of %s, left by an earlier run, remembered", remembered, key)

    def load_digests(self) -> None:
        """Learn the payloads earlier runs archived (their `state/digests/` files not seen yet)."""
        try:
            loaded = sync(self.payloads.index, self.store)
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

    # -- captures --------------------------------------------------------------------------------

    def archived_payload(self, url: str, payload_digest: str) -> ArchivedPayload | None:
        """The verified earlier capture of this URL with this payload, if any."""
        return self.payloads.lookup(url, payload_digest)

    def payload_written(self, payload: ArchivedPayload) -> None:
        """A full response was written; it becomes a dedup target once its WARC is uploaded and verified."""
        self.payloads.written(payload)

    def capture_held(self, warc_key: str, holder: object) -> None:
        """A capture was written to `warc_key`, and its record (if it makes one) may come as long as `holder` lives
        (the crawl's request); the WARC's records file is finished only after that."""
        self._records.hold(warc_key, holder)

    def warc_closed(self, key: str) -> None:
        """A WARC file is complete: index and upload it in the background.

        Its records file stays open until no capture of the WARC is on its way any more: an item is processed
        long after its response was written when the scraper has a backlog (up to SCRAPER_SLOT_MAX_ACTIVE_SIZE
        of responses, more than several small WARCs), and a finished records file is never reopened (keys are
        write-once). A killed run's open records files are salvaged line by line by the next run's recovery.
        """
        self._records.warc_closed(key)  # finished at the next check: the capture that closed it is held after this
        self.output.in_background(lambda: self._index_and_upload(key))

    def _index_and_upload(self, warc_key: str) -> list[StoredObject]:
        """Index a finished WARC (CDXJ beside it), upload the WARC, let its payloads be dedup targets, upload the
        CDXJ. Neither failure stops the other: a WARC not indexed still goes up (a later run indexes it), a
        WARC that cannot go up stays in the spool with its records file (`finish`), both for the next run."""
        indexed = self.indexes.index(warc_key)
        warc = self.output.try_upload(warc_key, f"{warc_key} (with its records and index)")
        if warc is None:
            return []
        uploaded = [warc]
        records_ready = self._upload_order.warc_uploaded(warc_key)
        self.payloads.verified(warc_key)
        index = self.output.try_upload(cdxj_key_for(warc_key), f"CDXJ of {warc_key}") if indexed else None
        records = self.output.try_upload(records_key_for(warc_key), f"records of {warc_key}") if records_ready else None
        return uploaded + [stored for stored in (index, records) if stored is not None]

    # -- records ---------------------------------------------------------------------------------

    def add_record(self, record: Record) -> None:
        """Append a record to the records file of the WARC this capture was written to, and the record
        as a metadata record to the WARC, so WARCs alone are enough to rebuild every record.

        For a revisit, `warc` points at the original response in an earlier WARC (whose records file is
        another run's, write-once); `warc.revisit` says where this capture is.
        """
        warc_key = (record["warc"].get("revisit") or record["warc"])["key"]
        late = self._records.finished(warc_key) and self._warc_writer is not None
        if not late:
            self._records.append(warc_key, record)
        if self.seen is not None:
            remember_record(self.seen, record, versions=record["site"] in self.versioned_sites)
        self._sites.setdefault(record["site"], SiteTally()).count(record)
        if self._warc_writer is not None:
            metadata_in = self._warc_writer.write_metadata(
                uri=record["url"], refers_to=f"<urn:uuid:{record['capture_id']}>", payload=record_json(record),
                content_type=RECORD_CONTENT_TYPE)
            if late:  # a capture that was not held (a bug of ours): the record still goes to a records file
                log.error("%s: the records file of %s was finished before this record came; it goes to the records "
                          "file of %s, the WARC that holds its metadata record", record["url"], warc_key, metadata_in)
                self._records.append(metadata_in, record)
        self.finish_ready_records()

    def finish_ready_records(self) -> None:
        """Finish the records files no record can come to any more, and upload each after its WARC (called after
        each record and, by the capture, every few seconds)."""
        ready = self._records.ready()
        if not ready:
            return
        if self.seen is not None:
            self.seen.flush()  # their records' marks, durable before the files can leave the spool
        for warc_key in self._records.finish(ready):
            if self._upload_order.records_finished(warc_key):  # else the WARC's upload thread takes it
                self.output.upload_later(records_key_for(warc_key))

    # -- the end of a run ------------------------------------------------------------------------

    def save_state_at_end(self, what: str, snapshot: Callable[[], str | None]) -> None:
        """A state file written into the spool at the end of the run (`snapshot` returns its key), then uploaded;
        a failure is recorded (exit 3) and never stops the end of the run."""
        def save() -> None:
            try:
                key = snapshot()
            except StoreError as error:
                log.error("state: %s not saved; it stays in the spool %s: %s", what, self.spool_root, error)
                self.failed_uploads.append({"error": f"{what}: {error}"})
                return
            if key is not None:
                self.upload_state(key, what)

        self.add_closer(save)

    def upload_state(self, key: str, what: str) -> None:
        """Upload a state file written at the end of the run (it is listed in the run's manifest)."""
        self.output.upload_now(key, what)

    def finish(self, reason: str, *, stats: dict[str, Any], sites: list[str], deadline: float | None = None,
               review: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
        """Close writers, wait for the WARCs' verified uploads, upload the records files of the WARCs that made it
        (a records file never reaches the archive before the WARC it points into), then write the run report
        (last); once.

        An interrupted run passes a `deadline` (time.monotonic()): the files are closed all the same, and what
        is not uploaded by then stays in the spool for the next run. `review` (the crawler's monitors) reads the
        finished report and returns its `monitors`; it never keeps the report from being written.
        """
        if self.report is not None:
            return self.report
        if deadline is not None:
            self.output.stop_by(deadline)
        for closer in self._closers:
            try:
                closer()
            except Exception as error:  # e.g. a full disk closing a WARC: the rest of the run's output still goes
                log.error("closing %s failed: %s: %s", getattr(closer, "__qualname__", closer), type(error).__name__,
                          error)
                self.failed_uploads.append({"error": f"{type(error).__name__}: {error}"})
        records_of = self._records.close_all()
        self.output.wait()
        if self.live_indexes is not None:  # every WARC is indexed now, or left to the next run
            self.live_indexes.close(kill=deadline is not None)
        records_of += self._upload_order.still_waiting()  # finished during the run, their WARCs not uploaded
        for warc_key in records_of:
            records_key = records_key_for(warc_key)
            if self._upload_order.is_uploaded(warc_key):
                self.output.upload_later(records_key)
            else:
                log.error("%s stays in the spool %s with its WARC %s, which is not uploaded; the next run uploads "
                          "both", records_key, self.spool_root, warc_key)
                self.failed_uploads.append({"key": records_key, "error": f"kept with its WARC {warc_key}"})
        self.output.wait()
        self._store_digests()
        report = self.output.report(reason, sites=sites,
                                    counts=crawl_counts(stats, upload_failures=len(self.failed_uploads)),
                                    per_site=per_site_report(stats, sites, self._sites), **self.report_details)
        if self.share_report is None:
            self._review(report, review)
            self.report = report.as_dict()
            self.output.write_report(report)
            self.run_report = self.report
        else:  # a worker of a shared crawl: the monitors judge the run, once, in the report of the worker that merges
            self.report = report.as_dict()
            if (merged := self.share_report(self.report)) is not None:
                self._review(merged, review)
                self.output.write_report(merged)
                self.run_report = merged.as_dict()
                self.report["distributed"]["merged"] = True
                if "monitors" in merged.details:
                    self.report["monitors"] = merged.details["monitors"]
        return self.report

    @staticmethod
    def _review(report: RunReport, review: Callable[[dict[str, Any]], dict[str, Any]] | None) -> None:
        """The report's `monitors`, when the run has them reviewed; a monitor that cannot run is said there."""
        if review is None:
            return
        try:
            report.details["monitors"] = review(report.as_dict())
        except Exception as error:  # a monitor that cannot run (an archive that stopped answering, …)
            log.error("monitors not run: %s: %s", type(error).__name__, error)
            report.details["monitors"] = {"passed": None, "error": f"{type(error).__name__}: {error}"}

    @property
    def report_in_spool(self) -> Path | None:
        """The run report's path in the spool when its upload failed (else it is in the archive)."""
        return self.output.report_in_spool

    def _store_digests(self) -> None:
        """This run's dedup entries as a write-once object, so other hosts and fresh spools learn them.

        Not marked as loaded here: the next run reloads them once, which is harmless (first entry wins).
        """
        encoded = self.payloads.encoded_additions()
        if encoded is not None:
            key = digests_key(self.crawl_id)
            write_atomic(self.spool.path(key), encoded)
            self.upload_state(key, "dedup entries")
        self.payloads.close()

    @property
    def uploaded(self) -> list[StoredObject]:
        return self.output.uploaded

    @property
    def failed_uploads(self) -> list[dict[str, str]]:
        return self.output.failed_uploads

