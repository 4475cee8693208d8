"""The seen-store in a SQLite file: the local working copy of the archive's state, synced by pipelines.state.sync."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import astuple
from datetime import UTC, datetime
from pathlib import Path

from pipelines.state.seen import Validators, seen_key
from pipelines.state.sync import StateSync
from pipelines.state.versions import VERSIONS_SCHEMA, ArticleVersion, PageFetch, Tracked, parse_time
from pipelines.store.spool import Spool

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (url TEXT PRIMARY KEY, site TEXT, first_seen TEXT);
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, lastmod TEXT);
""" + VERSIONS_SCHEMA


class SqliteSeenStore:
    """A SQLite file. Marks are written in batches, one transaction per `batch_size` marks or per `batch_seconds`
    (a commit alone, fsync included, cost ~3 ms a record); until then they wait in memory, where `seen` finds
    them too. A kill loses the batch, not the guarantee: every mark a crawl makes for a record is also in its
    records file, which the next run reads in again before uploading it (pipelines.state.seen)."""

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
