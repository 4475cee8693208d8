"""The shapes that cross module boundaries, as types: a record (RECORDS.md, `schema.json`) and its parts.

TypedDicts, not classes: records are JSON objects everywhere they go (records files, metadata records,
exports, `newsarchive show --json`), so the type checks the code that builds and reads them without changing
what is stored. `schema.json` stays the contract; these types follow it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

DiscoveryVia = Literal["sitemap", "feed", "link", "seed", "backfill", "import", "revisit"]


class RevisitPointer(TypedDict):
    """Where a capture written as a revisit record is (the pointer's other fields name the original)."""

    key: str
    filename: str
    offset: int
    length: int
    record_id: str


class WarcPointer(TypedDict):
    """A record's `warc`: one gzip member of a WARC holding the response whose payload the record was built from."""

    key: str
    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    revisit: NotRequired[RevisitPointer | None]  # absent in imported records (no crawl of ours wrote them)


class Discovery(TypedDict):
    """How a URL was found, from where, and what discovery knew then (sitemap/feed title, date, ...)."""

    via: str
    source: str | None
    hints: dict[str, Any]


class Paywall(TypedDict):
    detected: bool
    signals: list[str]


class Extractor(TypedDict):
    name: str
    version: str


class Notice(TypedDict):
    """A correction or update notice found in a new version, and the signals that found it."""

    text: str
    position: Literal["start", "end", "inside", "edited"]
    signals: list[str]


class Changes(TypedDict):
    """What changed since the previous version (pipelines.records.versions)."""

    title_changed: bool
    paragraphs_added: int
    paragraphs_removed: int
    paragraphs_edited: int
    notice: Notice | None


class Record(TypedDict):
    """One article capture, every field present (null or [] when absent)."""

    schema_version: int
    id: str
    capture_id: str
    url: str
    requested_url: str
    canonical_url: str
    site: str
    domain: str
    fetched_at: str
    http_status: int
    title: str
    authors: list[str]
    published_at: str | None
    modified_at: str | None
    date_source: str | None
    language: str | None  # primary subtag: en
    language_tag: str | None  # full BCP 47 tag: en-GB
    section: str | None  # human label: Middle East
    section_raw: str | None  # as the page gave it: /world/middle_east
    tags: list[str]
    description: str | None
    image: str | None
    site_name: str | None
    text: str
    word_count: int
    paywall: Paywall
    article_signals: list[str]
    rendered: bool  # built from the DOM headless Chromium rendered (a site with render: true)
    text_sha1: str
    simhash: str
    duplicate_of: str | None
    discovery: Discovery
    warc: WarcPointer
    crawl_id: str
    extractor: Extractor
    version: int  # 1, 2, … (docs/versions.md)
    previous_id: str | None  # capture_id of the version this one replaces
    changed_at: str | None  # fetched_at of this version when it is a change
    changes: Changes | None


def record_version(record: Mapping[str, Any]) -> int:
    """Which version of its article a record is; records of schema 1 and 2 have no `version`: they are first ones."""
    return int(record.get("version") or 1)
