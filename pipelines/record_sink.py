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
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler import __version__
from pipelines.records import rfc3339
from pipelines.records_file import RecordsFile
from pipelines.session import new_crawl_id, redact_uri
from pipelines.spool import Spool, default_spool_root
from pipelines.storage import StoredObject, StoreError, open_store

log = logging.getLogger(__name__)


REEXTRACT_MARK = ".re-"
COVERAGE_FIELDS = ("published_at", "authors", "text")


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


class RunTally:
    """Counts of a run, overall and per site, in the run report's shape (`counts`, `per_site`)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.sites: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add(self, site: str | None, name: str, amount: int = 1) -> None:
        self.counts[name] += amount
        if site is not None:
            self.sites[site][name] += amount

    def record(self, record: dict[str, Any]) -> None:
        """Count a written record and what its extraction found (for coverage)."""
        site = record["site"]
        self.add(site, "records")
        self.add(site, "duplicates", bool(record["duplicate_of"]))
        for name in COVERAGE_FIELDS:
            self.sites[site][f"with_{name}"] += bool(record[name])

    def per_site(self) -> dict[str, dict[str, Any]]:
        """`{site: {discovered, fetched, articles, records, revisits, errors, blocked, coverage}}`; coverage 0–1."""
        report = {}
        for site, tally in sorted(self.sites.items()):
            records = tally["records"]
            report[site] = {
                **{name: tally[name] for name in ("discovered", "fetched", "articles", "records", "revisits",
                                                  "errors")},
                "blocked": False,  # nothing is fetched, so nobody can block us
                "coverage": {name: round(tally[f"with_{name}"] / records, 4) if records else None
                             for name in COVERAGE_FIELDS},
            }
        return report

    def run_counts(self) -> dict[str, int]:
        """The crawl report's `counts` keys, so `newsarchive status` reads every run alike."""
        names = ("requests", "responses", "bytes", "articles", "records", "duplicates", "warc_records", "errors",
                 "http_errors")
        return {name: self.counts[name] for name in names}


class RecordSink:
    """Records files and the run report of one run, written through the archive's spool."""

    def __init__(self, archive_uri: str, *, command: str, crawl_id: str | None = None) -> None:
        self.archive_uri = archive_uri
        self.command = command
        self.store = open_store(archive_uri)
        self.spool = Spool(default_spool_root(archive_uri), self.store)
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
        report = {
            "crawl_id": self.crawl_id,
            "command": self.command,
            "software": f"newsarchive/{__version__}",
            "host": socket.gethostname(),
            "archive": redact_uri(self.archive_uri),
            "sites": sorted(tally.sites),
            "started_at": rfc3339(self.started_at),
            "finished_at": rfc3339(datetime.now(UTC)),
            "exit_reason": exit_reason,
            "counts": tally.run_counts(),
            "per_site": tally.per_site(),
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
