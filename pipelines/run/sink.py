"""Where runs outside Scrapy (import, re-extraction) put records: records files and a run report, via the spool.

Same rules as a crawl (ArchiveSession): local file first, verified upload, write-once keys, report last.
One difference: a records file enters the spool only when complete, because these runs resume per file
("the key exists → done"), so a killed run must leave nothing that recovery would upload half-written.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipelines.records.build import InvalidRecordError
from pipelines.records.files import RecordsFile
from pipelines.records.types import Record
from pipelines.run.output import RunOutput
from pipelines.run.report import SiteTally, per_site_report, site_stat
from pipelines.run.stop import Stop
from pipelines.store.atomic import publish
from pipelines.store.base import StoreOptions

log = logging.getLogger(__name__)


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
            self.stats[site_stat(site, name)] += amount

    def record(self, record: Record) -> None:
        """Count a written record and what its extraction found."""
        self.counts["records"] += 1
        self.counts["duplicates"] += bool(record["duplicate_of"])
        self.sites.setdefault(record["site"], SiteTally()).count(record)

    def per_site(self) -> dict[str, dict[str, Any]]:
        return per_site_report(dict(self.stats), [], self.sites)


class RecordSink:
    """Records files and the run report of one run, written through the archive's spool."""

    def __init__(self, archive_uri: str, *, command: str, spool_root: Path, store_options: StoreOptions | None = None,
                 crawl_id: str | None = None, stop: Stop | None = None) -> None:
        self.output = RunOutput(archive_uri, command=command, spool_root=spool_root, store_options=store_options,
                                crawl_id=crawl_id)
        self.store = self.output.store
        self.store_options = store_options
        self.stop = stop or Stop()
        self.spool = self.output.spool
        self.crawl_id = self.output.crawl_id
        # Partial files live beside the spool (recovery must not see them); the spool's lock makes them ours.
        self._partial_prefix = f".{self.spool.root.name}.writing-"
        for leftover in self.spool.root.parent.glob(self._partial_prefix + "*"):
            log.warning("removing %s, a records file a killed run did not finish (it is redone)", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
        self.output.recover()

    def exists(self, key: str) -> bool:
        """Whether the archive already holds `key` (write-once: then this run leaves it alone)."""
        return self.store.head(key) is not None

    def write(self, key: str, records: Iterable[Record]) -> int:
        """Write the records to a file, move it into the spool when complete, upload it verified; → count."""
        with tempfile.TemporaryDirectory(dir=self.spool.root.parent, prefix=self._partial_prefix) as tmp:
            records_file = RecordsFile(Path(tmp) / "records.jsonl.gz")
            try:
                for record in records:
                    self.stop.check()  # before the record: a stopped run drops this partial file whole
                    try:
                        records_file.append(record)
                    except InvalidRecordError as error:  # a bug of ours: never write a broken record
                        log.error("not written: %s", error)
            finally:
                records_file.close()
            publish(records_file.path, self.spool.path(key))
        self.output.upload_now(key, "records file")
        return records_file.count

    def finish(self, exit_reason: str, tally: RunTally, **details: Any) -> dict[str, Any]:
        """Write the run report (`runs/<crawl_id>.json`, last) and give up the spool; → the report."""
        per_site = tally.per_site()
        report = self.output.report(exit_reason, sites=sorted(per_site),
                                    counts={**tally.counts, "upload_failures": len(self.output.failed_uploads)},
                                    per_site=per_site, **details)
        self.output.write_report(report)
        self.spool.close()
        return report.as_dict()
