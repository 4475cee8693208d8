"""The run report (`runs/<crawl_id>.json`): one type for crawls, imports and re-extractions.

It is written last, after every object it lists was uploaded and verified, so a report in the archive means
the run's manifest is complete. `newsarchive status` reads every run's report alike.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipelines import package_version
from pipelines.layout import RUNS_PREFIX, is_run_report_key, run_report_key
from pipelines.records.types import Record
from pipelines.store.base import ObjectStore, StoredObject, StoreError, redact_uri
from pipelines.times import rfc3339

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
RESPONSE_COUNTERS = tuple(f"responses_{klass}" for klass in STATUS_CLASSES)
# What went wrong is counted by kind, the same way on the live line, in the summary, the report and `status`:
# the site's HTTP answers by status class; requests that got no answer at all (network failures: refused,
# reset, timed out, DNS); pages the extractor failed on; files that could not be uploaded; and `errors`, our own
# processing failing (a feed or sitemap that does not parse, a capture or record that could not be written).
# A site's `bytes` are its response bodies as received (still content-encoded, as archived).
SITE_COUNTERS = ("discovered", "fetched", *RESPONSE_COUNTERS, "network_failures", "articles", "errors", "bytes")
COVERAGE_FIELDS = ("title", "published_at", "authors", "text")
# The run's `counts`, the same keys for every kind of run.
COUNT_NAMES = ("requests", "responses", *RESPONSE_COUNTERS, "network_failures", "extraction_failures",
               "upload_failures", "errors", "articles", "records", "duplicates", "warc_records", "bytes",
               "revisits", "revisits_not_modified", "revisits_unchanged", "versions")


def new_crawl_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20261121T050600Z-1a2b3c4d`."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass
class SiteTally:
    """What the records written for one site say: how many, how many revisits, which fields were found."""

    records: int = 0
    revisits: int = 0
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COVERAGE_FIELDS, 0))

    def count(self, record: Record) -> None:
        self.records += 1
        self.revisits += bool(record["warc"].get("revisit"))
        for name in COVERAGE_FIELDS:
            self.found[name] += bool(record.get(name))

    def coverage(self) -> dict[str, float | None]:
        """Share of records with each field (None without records: nothing to measure)."""
        return {name: round(n / self.records, 4) if self.records else None for name, n in self.found.items()}


SITE_STAT_PREFIX = "newsarchive/site/"


def site_stat(site: str, name: str) -> str:
    """Per-site counter key in a run's stats: SITE_COUNTERS, blocked."""
    return f"{SITE_STAT_PREFIX}{site}/{name}"


def per_site_report(stats: dict[str, Any], sites: list[str], tallies: dict[str, SiteTally]) -> dict[str, Any]:
    """Per site: the run's counters (`newsarchive/site/<site>/<counter>` stats) and what the records say."""
    named = {key[len(SITE_STAT_PREFIX):].rsplit("/", 1)[0] for key in stats if key.startswith(SITE_STAT_PREFIX)}
    report = {}
    for site in sorted({*sites, *named, *tallies}):
        counter = {name: stats.get(site_stat(site, name), 0) for name in (*SITE_COUNTERS, "blocked")}
        tally = tallies.get(site, SiteTally())
        report[site] = {
            **{name: counter[name] for name in SITE_COUNTERS},
            "records": tally.records,
            "revisits": tally.revisits,
            "blocked": bool(counter["blocked"]),
            "coverage": tally.coverage(),
        }
    return report


def status_class(status: int) -> str | None:
    """`404` → `4xx`; None for a status outside 200-599 (1xx never reaches a crawler)."""
    klass = f"{status // 100}xx"
    return klass if klass in STATUS_CLASSES else None


def response_stat(klass: str) -> str:
    """The stats key counting a run's responses of one status class (per site: `site_stat(site, "responses_4xx")`)."""
    return f"newsarchive/responses_{klass}"


def crawl_counts(stats: dict[str, Any], *, upload_failures: int = 0) -> dict[str, int]:
    """A crawl's `counts`, from its stats."""
    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        **{f"responses_{klass}": stats.get(response_stat(klass), 0) for klass in STATUS_CLASSES},
        "network_failures": stats.get("newsarchive/network_failures", 0),
        "extraction_failures": stats.get("newsarchive/extraction_failures", 0),
        "upload_failures": upload_failures,
        "errors": stats.get("newsarchive/errors", 0) + stats.get("warc/write_errors", 0),
        "articles": stats.get("newsarchive/articles", 0),
        "records": stats.get("newsarchive/records", 0),
        "duplicates": stats.get("newsarchive/duplicates", 0),
        # sites with a revisit schedule (docs/versions.md): revisits asked for, answered 304, text unchanged,
        # and the records that are new versions of an article
        "revisits": stats.get("newsarchive/revisits/requested", 0),
        "revisits_not_modified": stats.get("newsarchive/revisits/not_modified", 0),
        "revisits_unchanged": stats.get("newsarchive/revisits/unchanged", 0),
        "versions": stats.get("newsarchive/versions", 0),
        "warc_records": stats.get("warc/exchanges", 0),
        "bytes": stats.get("downloader/response_bytes", 0),
    }


def counts_line(counts: dict[str, int]) -> str:
    """The counts as operators read them, in the same words on the live line, in the summary and in `status`."""
    classes = " · ".join(f"{klass} {counts.get(f'responses_{klass}', 0)}" for klass in STATUS_CLASSES)
    return (f"{counts.get('responses', 0)} responses ({classes}) · {counts.get('network_failures', 0)} network "
            f"failures · {counts.get('articles', 0)} articles · {counts.get('records', 0)} records · "
            f"{counts.get('extraction_failures', 0)} extraction failures · {counts.get('upload_failures', 0)} upload "
            f"failures · {counts.get('errors', 0)} errors")


def report_uri(archive: str, crawl_id: str) -> str:
    """Where a run's report is, as operators and webhooks are told: the archive (as the report names it) and key."""
    return f"{archive.rstrip('/')}/{run_report_key(crawl_id)}"


def manifest(objects: list[StoredObject]) -> list[dict[str, Any]]:
    return [{"key": o.key, "size": o.size, "sha256": o.sha256} for o in sorted(objects, key=lambda o: o.key)]


@dataclass
class RunReport:
    """What one run did and wrote; `as_dict()` is the JSON object stored under `runs/`."""

    crawl_id: str
    command: str
    archive_uri: str
    started_at: datetime
    exit_reason: str
    sites: list[str]
    counts: dict[str, int]
    per_site: dict[str, Any]
    objects: list[StoredObject]
    recovered: list[StoredObject]
    failed_uploads: list[dict[str, str]]
    details: dict[str, Any] = field(default_factory=dict)  # command-specific: sources, extractor_version, …
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    host: str = field(default_factory=socket.gethostname)

    def as_dict(self) -> dict[str, Any]:
        return {
            "crawl_id": self.crawl_id,
            "command": self.command,
            "software": f"newsarchive/{package_version()}",
            "host": self.host,
            "archive": redact_uri(self.archive_uri),
            "sites": self.sites,
            "started_at": rfc3339(self.started_at),
            "finished_at": rfc3339(self.finished_at),
            "exit_reason": self.exit_reason,
            "counts": {name: int(self.counts.get(name, 0)) for name in COUNT_NAMES},
            "per_site": self.per_site,
            "objects": manifest(self.objects),
            "recovered": manifest(self.recovered),
            "failed_uploads": self.failed_uploads,
            **self.details,
        }

    def encode(self) -> bytes:
        return (json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n").encode("utf-8")


def newest_reports(store: ObjectStore, scan: int | None,
                   skipped: Callable[[str, Exception], None]) -> Iterator[dict[str, Any]]:
    """The run reports among the archive's newest `scan` (None: all), newest first, read as they are asked for;
    an unreadable one is handed to `skipped` (key, error) and passed over."""
    keys = sorted(o.key for o in store.list(RUNS_PREFIX) if is_run_report_key(o.key))
    for key in reversed(keys if scan is None else keys[-scan:]):
        try:
            yield json.loads(store.get(key))
        except (StoreError, ValueError) as error:
            skipped(key, error)


def archived_sites(store: ObjectStore, skipped: Callable[[str, Exception], None], *,
                   until: str | None = None) -> set[str]:
    """The sites the archive's run reports name (a crawl's sites; the sites an import or re-extraction wrote
    records of): one small read per report, newest first, stopping at the first report that names `until`."""
    sites: set[str] = set()
    for report in newest_reports(store, None, skipped):
        named = {*report.get("sites", []), *report.get("per_site", {})}
        sites |= named
        if until in named:
            break
    return sites


def report_command(report: dict[str, Any]) -> str:
    """The command that made a run; crawl reports predate the field."""
    return report.get("command") or "crawl"


def _summed(values: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, int]:
    return {name: sum(int(value.get(name, 0)) for value in values) for name in names}


def merge_per_site(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' per-site entries as one: counters added, blocked if any worker was, coverage weighted by
    each worker's records."""
    merged: dict[str, Any] = {}
    for site in sorted({site for report in reports for site in report.get("per_site", {})}):
        entries = [report["per_site"][site] for report in reports if site in report.get("per_site", {})]
        records = sum(entry.get("records", 0) for entry in entries)
        coverage = {name: round(sum((entry.get("coverage", {}).get(name) or 0) * entry.get("records", 0)
                                    for entry in entries) / records, 4) if records else None
                    for name in COVERAGE_FIELDS}
        merged[site] = {**_summed(entries, (*SITE_COUNTERS, "records", "revisits")),
                        "blocked": any(entry.get("blocked") for entry in entries), "coverage": coverage}
    return merged


def merge_reports(crawl_id: str, workers: dict[str, dict[str, Any]], *, lost: list[str]) -> RunReport:
    """One report for a crawl shared by several workers (each worker's report as `as_dict()` gave it): counts and
    per-site figures added, every worker's manifest, and per worker what it did (`workers`). A worker that
    died (`lost`) left no report; what it had not acknowledged was done by the others."""
    reports = list(workers.values())

    def objects(name: str) -> list[StoredObject]:
        return [StoredObject(o["key"], o["size"], o["sha256"]) for report in reports for o in report.get(name, [])]

    reasons = {report["exit_reason"] for report in reports}
    return RunReport(
        crawl_id=crawl_id, command=reports[0]["command"] if reports else "crawl",
        archive_uri=reports[0]["archive"] if reports else "",
        started_at=min((datetime.fromisoformat(r["started_at"]) for r in reports), default=datetime.now(UTC)),
        exit_reason=reasons.pop() if len(reasons) == 1 else "mixed",
        sites=sorted({site for report in reports for site in report.get("sites", [])}),
        counts=_summed([report.get("counts", {}) for report in reports], COUNT_NAMES),
        per_site=merge_per_site(reports), objects=objects("objects"), recovered=objects("recovered"),
        failed_uploads=[failure for report in reports for failure in report.get("failed_uploads", [])],
        details={"workers": {worker: {"host": report["host"], "crawl_id": report["crawl_id"],
                                      "started_at": report["started_at"], "finished_at": report["finished_at"],
                                      "exit_reason": report["exit_reason"], "counts": report["counts"],
                                      "per_site": report["per_site"], "objects": len(report.get("objects", []))}
                             for worker, report in sorted(workers.items())},
                 "lost_workers": lost})
