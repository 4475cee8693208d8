"""Where runs outside Scrapy (import, re-extraction) put records: records files and a run report, via the spool.

Same rules as a crawl (ArchiveSession): local file first, verified upload, write-once keys, report last.
One difference: a records file enters the spool only when complete, because these runs resume per file
("the key exists → done"), so a killed run must leave nothing that recovery would upload half-written.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines import __version__
from pipelines.records.build import rfc3339
from pipelines.records.files import RecordsFile
from pipelines.run.session import SiteTally, new_crawl_id, per_site_report, redact_uri
from pipelines.store.base import StoredObject, StoreError, StoreOptions, open_store
from pipelines.store.spool import Spool

log = logging.getLogger(__name__)


REEXTRACT_MARK = ".re-"


def reextract_key(records_key: str, crawl_id: str, version: str) -> str:
    """`…/<base>.jsonl.gz` → `…/<base>.re-<crawl_id>-x<version>.jsonl.gz`: a new write-once key per run.

    crawl ids start with their UTC start time, so the names of one WARC's records files sort oldest first.
    """
    return f"{records_key.removesuffix('.jsonl.gz')}{REEXTRACT_MARK}{crawl_id}-x{version}.jsonl.gz"


def newest_records_key(keys: Iterable[str]) -> str | None:
    """Of the records files of one WARC (the crawl's and re-extractions), the newest."""
    keys = list(keys)
    rebuilt = sorted(key for key in keys if REEXTRACT_MARK in key)
    return rebuilt[-1] if rebuilt else next(iter(keys), None)


def current_records_keys(keys: Iterable[str]) -> list[str]:
    """Of any listing of records files, the newest per WARC: what a reader wanting one record per capture reads."""
    by_warc: dict[str, list[str]] = {}
    for key in keys:
        by_warc.setdefault(key.split(REEXTRACT_MARK)[0].removesuffix(".jsonl.gz"), []).append(key)
    return sorted(newest for group in by_warc.values() if (newest := newest_records_key(group)) is not None)


class RunTally:
    """Counts of a run in the crawl's terms, so the report's `counts` and `per_site` read like a crawl's.

    Per-site counters are kept under the spider's stat names and turned into `per_site` by the crawl's own
    `per_site_report`, with a `SiteTally` per site for what the records say (coverage, revisits).
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        self.sites: dict[str, SiteTally] = {}

    def add(self, site: str | None, name: str, amount: int = 1) -> None:
        self.counts[name] += amount
        if site is not None:
            self.stats[f"newsarchive/site/{site}/{name}"] += amount

    def record(self, record: dict[str, Any]) -> None:
        """Count a written record and what its extraction found."""
        self.counts["records"] += 1
        self.counts["duplicates"] += bool(record["duplicate_of"])
        self.sites.setdefault(record["site"], SiteTally()).count(record)

    def per_site(self) -> dict[str, dict[str, Any]]:
        return per_site_report(dict(self.stats), [], self.sites)

    def run_counts(self) -> dict[str, int]:
        """The crawl report's `counts` keys, so `newsarchive status` reads every run alike."""
        names = ("requests", "responses", "bytes", "articles", "records", "duplicates", "warc_records", "errors",
                 "http_errors")
        return {name: self.counts[name] for name in names}


class RecordSink:
    """Records files and the run report of one run, written through the archive's spool."""

    def __init__(self, archive_uri: str, *, command: str, spool_root: Path, store_options: StoreOptions | None = None,
                 crawl_id: str | None = None) -> None:
        self.archive_uri = archive_uri
        self.command = command
        self.store = open_store(archive_uri, store_options)
        self.spool = Spool(spool_root, self.store)
        self.crawl_id = crawl_id or new_crawl_id()
        self.started_at = datetime.now(UTC)
        self.uploaded: list[StoredObject] = []
        self.failed_uploads: list[dict[str, str]] = []
        self.recovered: list[StoredObject] = []
        # Partial files live beside the spool (recovery must not see them); the spool's lock makes them ours.
        self._partial_prefix = f".{self.spool.root.name}.writing-"
        for leftover in self.spool.root.parent.glob(self._partial_prefix + "*"):
            log.warning("removing %s, a records file a killed run did not finish (it is redone)", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
        try:
            self.recovered = self.spool.recover()
        except StoreError as error:
            log.error("could not upload leftovers from %s: %s", self.spool.root, error)

    def exists(self, key: str) -> bool:
        """Whether the archive already holds `key` (write-once: then this run leaves it alone)."""
        return self.store.head(key) is not None

    def write(self, key: str, records: Iterable[dict[str, Any]]) -> int:
        """Write the records to a file, move it into the spool when complete, upload it verified; → count."""
        with tempfile.TemporaryDirectory(dir=self.spool.root.parent, prefix=self._partial_prefix) as tmp:
            records_file = RecordsFile(Path(tmp) / "records.jsonl.gz")
            try:
                for record in records:
                    records_file.append(record)
            finally:
                records_file.close()
            os.replace(records_file.path, self.spool.path(key))
        self._upload(key)
        return records_file.count

    def _upload(self, key: str) -> None:
        try:
            self.uploaded.append(self.spool.upload(key))
        except StoreError as error:
            log.error("upload failed; the file stays in the spool %s: %s", self.spool.root, error)
            self.failed_uploads.append({"key": key, "error": str(error)})

    def finish(self, exit_reason: str, tally: RunTally, **details: Any) -> dict[str, Any]:
        """Write the run report (`runs/<crawl_id>.json`, last) and give up the spool; → the report."""
        objects = sorted(self.uploaded, key=lambda o: o.key)
        per_site = tally.per_site()
        report = {
            "crawl_id": self.crawl_id,
            "command": self.command,
            "software": f"newsarchive/{__version__}",
            "host": socket.gethostname(),
            "archive": redact_uri(self.archive_uri),
            "sites": sorted(per_site),
            "started_at": rfc3339(self.started_at),
            "finished_at": rfc3339(datetime.now(UTC)),
            "exit_reason": exit_reason,
            "counts": tally.run_counts(),
            "per_site": per_site,
            "objects": [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in objects],
            "recovered": [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in self.recovered],
            "failed_uploads": self.failed_uploads,  # a failure of the report's own upload is only logged
            **details,
        }
        key = f"runs/{self.crawl_id}.json"
        self.spool.path(key).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self._upload(key)
        self.spool.close()
        return report
