"""What every run owns, whatever it does: the store, its spool, verified uploads and the run report.

A crawl (`ArchiveSession`) and an import or re-extraction (`RecordSink`) both write through one of these,
so "local file first, verified upload, failures recorded and the file kept, report last" is written once.

An interrupted run ends by a deadline (`stop_by`): uploads not done by then stay in the spool, where the next
run's recovery finds them, and no upload to a store that stopped answering holds the run up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from pipelines.layout import run_report_key
from pipelines.run.report import RunReport, new_crawl_id
from pipelines.store.atomic import write_atomic
from pipelines.store.base import StoredObject, StoreError, StoreOptions
from pipelines.store.factory import open_store
from pipelines.store.spool import Spool

log = logging.getLogger(__name__)


class RunOutput:
    """The store, the spool in front of it, the run's uploads (in the background or now) and its report."""

    def __init__(self, archive_uri: str, *, command: str, spool_root: Path, store_options: StoreOptions | None = None,
                 crawl_id: str | None = None, upload_workers: int = 2) -> None:
        self.archive_uri = archive_uri
        self.command = command
        self.store = open_store(archive_uri, store_options)
        self.spool = Spool(spool_root, self.store)
        self.crawl_id = crawl_id or new_crawl_id()
        self.started_at = datetime.now(UTC)
        self.uploaded: list[StoredObject] = []
        self.failed_uploads: list[dict[str, str]] = []
        self.recovered: list[StoredObject] = []
        self._upload_workers = upload_workers
        self._executor: ThreadPoolExecutor | None = None
        self._background: list[Future[list[StoredObject]]] = []
        self._deadline: float | None = None
        self.report_in_spool: Path | None = None  # the report, when write_report() could not upload it

    @property
    def spool_root(self) -> Path:
        return self.spool.root

    def recover(self, prepare: Callable[[str], None] | None = None) -> None:
        """Upload what a killed run left in the spool (salvaging half-written files) before this run writes."""
        try:
            self.recovered = self.spool.recover(prepare=prepare)
        except StoreError as error:
            log.error("could not upload leftovers from %s: %s", self.spool_root, error)
        # What could not go up stays in the spool; the run must say so (exit 3), not report success.
        self.failed_uploads.extend({"key": key, "error": "left in the spool: its upload failed at the start of the run"}
                                   for key in self.spool.pending())
        if self.recovered:
            log.info("uploaded %d file(s) left in the spool by an earlier run", len(self.recovered))

    def stop_by(self, deadline: float) -> None:
        """The run was interrupted: from now on, waiting for an upload ends at `deadline` (time.monotonic()), and
        what is not uploaded by then is recorded as failed and stays in the spool for the next run."""
        self._deadline = deadline

    def _remaining(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - time.monotonic())

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self._upload_workers, thread_name_prefix="upload")
        return self._executor

    def in_background(self, work: Callable[[], list[StoredObject]]) -> None:
        """Run an upload job (which may index first) in an upload thread; its outcome is collected by `wait()`."""
        self._background.append(self._pool().submit(work))

    def upload_later(self, key: str) -> None:
        self.in_background(lambda: [self.spool.upload(key)])

    def wait(self) -> None:
        """Collect every background upload: a failure is recorded (its file stays in the spool), never raised."""
        for future in self._background:
            try:
                self.uploaded.extend(future.result(timeout=self._remaining()))
            except TimeoutError:
                log.error("upload not finished when the interrupted run had to end; it stays in the spool %s",
                          self.spool_root)
                self.failed_uploads.append({"error": "interrupted before this upload finished"})
            except Exception as error:  # StoreError, or e.g. a full disk while indexing: the report must still go out
                log.error("upload failed; the file stays in the spool %s: %s", self.spool_root, error)
                self.failed_uploads.append({"error": f"{type(error).__name__}: {error}"})
        self._background.clear()
        if self._executor is not None:
            # Interrupted: an upload still running is left to its thread, which the process does not wait for.
            self._executor.shutdown(wait=self._deadline is None, cancel_futures=True)
            self._executor = None

    def _upload(self, key: str) -> StoredObject:
        """`spool.upload(key)`, or StoreError when an interrupted run's deadline comes first."""
        remaining = self._remaining()
        if remaining is None:
            return self.spool.upload(key)
        if remaining > 0:
            try:
                return self._pool().submit(self.spool.upload, key).result(timeout=remaining)
            except TimeoutError:
                pass
        raise StoreError(f"{key}: not uploaded before the interrupted run had to end; the next run uploads it")

    def upload_now(self, key: str, what: str) -> StoredObject | None:
        """Upload a complete spool file and list it in the manifest; a failure is recorded and the file kept."""
        stored = self.try_upload(key, what)
        if stored is not None:
            self.uploaded.append(stored)
        return stored

    def try_upload(self, key: str, what: str) -> StoredObject | None:
        """Upload a complete spool file (the caller lists it); a failure is recorded and the file kept."""
        try:
            stored = self._upload(key)
        except StoreError as error:
            log.error("%s stays in the spool %s: %s", what, self.spool_root, error)
            self.failed_uploads.append({"key": key, "error": str(error)})
            return None
        return stored

    def report(self, exit_reason: str, *, sites: list[str], counts: dict[str, int], per_site: dict,
               **details: object) -> RunReport:
        """The run report as of now (everything uploaded so far is its manifest)."""
        return RunReport(crawl_id=self.crawl_id, command=self.command, archive_uri=self.archive_uri,
                         started_at=self.started_at, exit_reason=exit_reason, sites=sites, counts=counts,
                         per_site=per_site, objects=list(self.uploaded), recovered=list(self.recovered),
                         failed_uploads=self.failed_uploads, details=dict(details))

    def write_report(self, report: RunReport) -> None:
        """Write the report last, and upload it; a failure of its own upload is only logged (the file stays in
        the spool and the next run's recovery uploads it, after everything else), and `report_in_spool` says
        where it is."""
        key = run_report_key(report.crawl_id)  # a shared crawl's merged report: the run's id, not this worker's
        path = self.spool.path(key)
        write_atomic(path, report.encode())
        try:
            self._upload(key)
        except StoreError as error:
            log.error("run report stays in the spool %s: %s", self.spool_root, error)
            self.failed_uploads.append({"key": key, "error": str(error)})
            self.report_in_spool = path
