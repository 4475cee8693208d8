"""The seen-store: which article URLs are already archived, and the validators of discovery documents.

Keyed by canonical URL (session ids and tracking parameters removed), so `?utm_source=` variants of
an archived article are not fetched again. Two backends behind one small interface: SQLite (a local
working file synced with the archive's `state/`, see pipelines.state.sync) and Redis (shared by the
processes of a distributed crawl, `REDIS_URL`). Both only grow: a URL is never "unseen".

What it holds is derived from the records: a record's URLs (`record_urls`) are added when the record is
written, and the records files a killed run left in the spool are read into it again before they are
uploaded (`remember_records_file`), so a written record's article is never fetched again even if the
process died between writing the record and marking its URLs, and a backend may batch its writes.
"""

from __future__ import annotations

import gzip
import json
import logging
import sqlite3
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import asdict, astuple, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from pipelines.extract.urls import normalize_url, strip_session_ids
from pipelines.state.redis_client import archive_keys, connect
from pipelines.state.sync import StateSync
from pipelines.state.versions import VERSIONS_SCHEMA, ArticleVersion, PageFetch, Tracked, parse_time
from pipelines.store.base import ObjectStore, StoreConfigError, writable_hint
from pipelines.store.spool import Spool

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (url TEXT PRIMARY KEY, site TEXT, first_seen TEXT);
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, lastmod TEXT);
""" + VERSIONS_SCHEMA


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


class SqliteSeenStore:
    """A SQLite file. Marks are written in batches, one transaction per `batch_size` marks or per `batch_seconds`
    (a commit alone, fsync included, cost ~3 ms a record); until then they wait in memory, where `seen` finds
    them too. A kill loses the batch, not the guarantee: every mark a crawl makes for a record is also in its
    records file, which the next run reads in again before uploading it (module docstring)."""

    def __init__(self, path: Path, *, batch_size: int = 200, batch_seconds: float = 1.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.sync: StateSync | None = None
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self._pending: dict[str, tuple[str, str]] = {}  # seen key → (site, first_seen), not yet committed
        self._flushed_at = time.monotonic()
        self._lock = threading.Lock()  # the reactor thread marks; a closer may flush from another

    def seen(self, url: str) -> bool:
        key = seen_key(url)
        with self._lock:  # a mark is in the batch or committed, never in between
            if key in self._pending:
                return True
            return self.db.execute("SELECT 1 FROM seen WHERE url = ?", (key,)).fetchone() is not None

    def add(self, url: str, site: str) -> None:
        key, now = seen_key(url), datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._pending.setdefault(key, (site, now))
            due = len(self._pending) >= self.batch_size or time.monotonic() - self._flushed_at >= self.batch_seconds
        if due:
            self.flush()

    def flush(self) -> None:
        """Commit the waiting marks in one transaction."""
        with self._lock:
            self._flushed_at = time.monotonic()
            if not self._pending:
                return
            rows = [(key, site, first) for key, (site, first) in self._pending.items()]
            with self.db:  # COMMIT at the end of the block, ROLLBACK (the batch kept) on an error
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", rows)
            self._pending.clear()

    def validators(self, url: str) -> Validators:
        row = self.db.execute("SELECT etag, last_modified, lastmod FROM validators WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else Validators()

    def save_validators(self, url: str, validators: Validators) -> None:
        merged = validators.merged(self.validators(url))
        self.db.execute("INSERT OR REPLACE INTO validators VALUES (?, ?, ?, ?)", (url, *astuple(merged)))

    def latest_version(self, article_id: str) -> ArticleVersion | None:
        row = self.db.execute("SELECT id, version, url, site, capture_id, fetched_at, title, text "
                              "FROM article_versions WHERE id = ? ORDER BY version DESC LIMIT 1",
                              (article_id,)).fetchone()
        return ArticleVersion.from_row(row) if row else None

    def save_version(self, version: ArticleVersion) -> None:
        self.db.execute("INSERT OR IGNORE INTO article_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", version.row())

    def save_fetch(self, fetch: PageFetch) -> None:
        self.db.execute("INSERT OR IGNORE INTO page_fetches VALUES (?, ?, ?, ?)",
                        (seen_key(fetch.url), fetch.fetched_at, fetch.etag, fetch.last_modified))

    def last_fetch(self, url: str) -> PageFetch | None:
        row = self.db.execute("SELECT url, fetched_at, etag, last_modified FROM page_fetches WHERE url = ? "
                              "ORDER BY fetched_at DESC LIMIT 1", (seen_key(url),)).fetchone()
        return PageFetch(*row) if row else None

    def tracked(self, site: str, since: str) -> list[Tracked]:
        rows = self.db.execute("SELECT id, MIN(fetched_at) FROM article_versions WHERE site = ? GROUP BY id "
                               "HAVING MIN(fetched_at) >= ?", (site, since)).fetchall()
        found = []
        for article_id, first in rows:
            latest = self.latest_version(article_id)
            if latest is not None:
                found.append(Tracked(latest, parse_time(first), self.last_fetch(latest.url)))
        return found

    def snapshot(self, spool: Spool, crawl_id: str) -> str | None:
        """This file as a new write-once version of the archive's state, written into the spool; → its key."""
        self.flush()
        return self.sync.snapshot(spool, crawl_id) if self.sync is not None else None

    def close(self) -> None:
        self.flush()
        self.db.close()


class RedisSeenStore:
    """A Redis set of canonical URLs and a hash of validators, under a per-archive key prefix."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.seen_set = f"{prefix}seen"
        self.validators_hash = f"{prefix}validators"
        self.versions_hash = f"{prefix}versions"  # article id → its latest version (JSON)
        self.fetches_hash = f"{prefix}fetches"  # seen key → its latest fetch (JSON)

    @classmethod
    def from_url(cls, redis_url: str, prefix: str) -> RedisSeenStore:
        """Connected and checked now: an unreachable Redis stops the crawl before its first request."""
        return cls(connect(redis_url), prefix)

    def seen(self, url: str) -> bool:
        return bool(self.client.sismember(self.seen_set, seen_key(url)))

    def add(self, url: str, site: str) -> None:
        self.client.sadd(self.seen_set, seen_key(url))

    def flush(self) -> None:
        """Nothing waits: every mark is sent to Redis as it is made."""

    def validators(self, url: str) -> Validators:
        raw = self.client.hget(self.validators_hash, url)
        return Validators(**json.loads(raw)) if raw else Validators()

    def save_validators(self, url: str, validators: Validators) -> None:
        merged = validators.merged(self.validators(url))
        self.client.hset(self.validators_hash, url, json.dumps(asdict(merged)))

    def latest_version(self, article_id: str) -> ArticleVersion | None:
        raw = self.client.hget(self.versions_hash, article_id)
        return ArticleVersion.from_json(raw) if raw else None

    def save_version(self, version: ArticleVersion) -> None:
        known = self.latest_version(version.id)
        if known is None or known.version < version.version:
            self.client.hset(self.versions_hash, version.id, version.as_json())
        first = parse_time(version.fetched_at).timestamp()
        self.client.zadd(f"{self.prefix}tracked:{version.site}", {version.id: first}, nx=True)

    def save_fetch(self, fetch: PageFetch) -> None:
        known = self.last_fetch(fetch.url)
        if known is None or known.fetched_at < fetch.fetched_at:
            self.client.hset(self.fetches_hash, seen_key(fetch.url), json.dumps(asdict(fetch)))

    def last_fetch(self, url: str) -> PageFetch | None:
        raw = self.client.hget(self.fetches_hash, seen_key(url))
        return PageFetch(**json.loads(raw)) if raw else None

    def tracked(self, site: str, since: str) -> list[Tracked]:
        found = []
        for member, first in self.client.zrangebyscore(f"{self.prefix}tracked:{site}", parse_time(since).timestamp(),
                                                       "+inf", withscores=True):
            latest = self.latest_version(member.decode() if isinstance(member, bytes) else member)
            if latest is not None:
                found.append(Tracked(latest, datetime.fromtimestamp(first, UTC), self.last_fetch(latest.url)))
        return found

    def snapshot(self, spool: Spool, crawl_id: str) -> str | None:
        """Nothing to write: the state lives in Redis."""
        return None

    def close(self) -> None:
        self.client.close()


def state_dir(spool_root: Path) -> Path:
    """The local working state of an archive: beside its spool (`…/spool/<hash>` → `…/state/<hash>`)."""
    return spool_root.parent.parent / "state" / spool_root.name


def open_seen_store(archive_uri: str, store: ObjectStore, *, local_dir: Path, redis_url: str = "") -> SeenStore:
    """Redis when `redis_url` is set; else the local SQLite file in `local_dir`, merged with the archive's
    state now (see pipelines.state.sync)."""
    if redis_url:
        return RedisSeenStore.from_url(redis_url, archive_keys(archive_uri))
    local = local_dir / "seen.sqlite"
    try:
        seen = SqliteSeenStore(local)  # creates the tables first: a pull merges only tables the file has
        seen.sync = StateSync(store, local)
    except (OSError, sqlite3.Error) as error:
        raise StoreConfigError(f"state directory {local_dir}: cannot use {local.name} there ({error}); "
                               f"{writable_hint('NEWSARCHIVE_STATE_DIR')}") from None
    try:
        seen.sync.pull()  # unreadable: StoreError, and the crawl does not start (it would refetch everything)
    except BaseException:
        seen.close()
        raise
    return seen
