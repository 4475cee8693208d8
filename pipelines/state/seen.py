"""The seen-store: which article URLs are already archived, and the validators of discovery documents.

Keyed by canonical URL (session ids and tracking parameters removed), so `?utm_source=` variants of
an archived article are not fetched again. Two backends behind this module's small interface: SQLite
(seen_sqlite.py, a local working file synced with the archive's `state/`, see pipelines.state.sync) and
Redis (seen_redis.py, shared by the processes of a distributed crawl, `REDIS_URL`); seen_open.py picks
and opens one. Both only grow: a URL is never "unseen".

What it holds is derived from the records: a record's URLs (`record_urls`) are added when the record is
written, and the records files a killed run left in the spool are read into it again before they are
uploaded (`remember_records_file`), so a written record's article is never fetched again even if the
process died between writing the record and marking its URLs, and a backend may batch its writes.
"""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from pipelines.extract.urls import normalize_url, strip_session_ids
from pipelines.state.versions import ArticleVersion, PageFetch, Tracked
from pipelines.store.spool import Spool

log = logging.getLogger(__name__)


@lru_cache(maxsize=20_000)
def seen_key(url: str) -> str:
    """The canonical form a URL is remembered by (remembered: the spider asks about every link of every page, and
    most links repeat from page to page)."""
    return normalize_url(strip_session_ids(url))


def record_urls(record: Mapping[str, Any]) -> set[str]:
    """The URLs that lead to a record's article: as fetched, as first requested (a redirect alias), canonical."""
    return {url for url in (record.get("url"), record.get("requested_url"), record.get("canonical_url")) if url}


VERSION_KEYS = ("id", "url", "capture_id", "fetched_at")  # what a version in the state needs of a record


def remember_record(seen: SeenStore, record: Mapping[str, Any], *, versions: bool = False) -> None:
    """Add a written record's URLs, so no later request fetches its article again; with `versions` (its site tracks
    them), its title and text too, for the next fetch to be compared with."""
    for url in record_urls(record):
        seen.add(url, record.get("site") or "")
    if versions and all(record.get(name) for name in VERSION_KEYS):  # a salvaged line may be a partial record
        seen.save_version(ArticleVersion.of_record(record))


def remember_records_file(seen: SeenStore, path: Path) -> int:
    """Add the URLs of every complete record in a records file (JSONL.gz, one gzip member per line); → count.

    The file may be a salvaged one: reading stops at the first damaged member or line, like the salvage did.
    """
    count = 0
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():  # versions too: which sites track them is not known here, and the texts are few
                    remember_record(seen, json.loads(line), versions=True)
                    count += 1
    except (OSError, EOFError, zlib.error, ValueError) as error:
        log.warning("seen-store: %s read up to record %d only: %s", path, count, error)
    return count


@dataclass(frozen=True)
class Validators:
    """What we knew of a feed or sitemap after the last clean run: HTTP validators and sitemap lastmod."""

    etag: str | None = None
    last_modified: str | None = None
    lastmod: str | None = None

    def merged(self, other: Validators) -> Validators:
        """Our values where set, the other's elsewhere."""
        return Validators(*(mine or theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True)))


class SeenStore(Protocol):
    """What the spider asks: was this article archived, what did a feed or sitemap look like last time."""

    def seen(self, url: str) -> bool: ...

    def add(self, url: str, site: str) -> None: ...

    def validators(self, url: str) -> Validators: ...

    def save_validators(self, url: str, validators: Validators) -> None: ...

    def flush(self) -> None:
        """Make every mark so far durable (before a records file holding them leaves the spool)."""
        ...

    def snapshot(self, spool: Spool, crawl_id: str) -> str | None:
        """Write what must outlive the run into the spool at its end; → the key to upload, if any."""
        ...

    # Versions of the articles of sites that track them (pipelines.state.versions, docs/versions.md)
    def latest_version(self, article_id: str) -> ArticleVersion | None: ...

    def save_version(self, version: ArticleVersion) -> None: ...

    def save_fetch(self, fetch: PageFetch) -> None: ...

    def tracked(self, site: str, since: str) -> list[Tracked]:
        """The site's articles first archived at or after `since` (RFC 3339), with their latest version and fetch."""
        ...

    def close(self) -> None: ...
