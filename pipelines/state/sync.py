"""A local SQLite state file kept in the archive as write-once versions: `state/seen/<crawl_id>.sqlite.gz`.

Keys are write-once, so there is no single `state/seen.sqlite` to overwrite. Every run that ends uploads
a snapshot under its own crawl id (ids sort by time), and a run starts from the newest one. The state is
grow-only (seen URLs, validators), so versions are merged as a union (`INSERT OR IGNORE` per table):
- a fresh machine (container) merges the newest version only; it already holds everything before it;
- a machine with a working file from earlier runs (a killed run included: its marks are committed
  as they happen) merges it with any versions it has not merged yet, so nothing it did is lost;
- just before uploading, versions written by runs that ran at the same time are merged too.
Only tables the local file already has are merged: its owner creates its schema before pulling.
Which versions a file already holds is itself a table of the file (`merged_versions`), so it travels
with the snapshots. Old versions stay in the archive (a history; an operator may delete them).
"""

from __future__ import annotations

import gzip
import logging
import shutil
import sqlite3
import tempfile
import zlib
from contextlib import closing
from pathlib import Path

from pipelines.layout import SEEN_PREFIX, SEEN_SUFFIX, seen_version_key
from pipelines.store.atomic import atomic_file
from pipelines.store.base import ObjectStore, StoreError
from pipelines.store.spool import Spool

log = logging.getLogger(__name__)
UNREADABLE = (OSError, EOFError, zlib.error, sqlite3.DatabaseError)  # a damaged version file
MAX_MERGES = 20  # per pull: bounds the work after a long absence; the newest versions hold the older ones


class StateError(StoreError):
    """The archive's crawl state exists but none of it can be read."""


class StateSync:
    """Pull (merge) and push (snapshot) one local SQLite file against `<prefix><crawl_id>.sqlite.gz`."""

    def __init__(self, store: ObjectStore, local: Path) -> None:
        self.store = store
        self.local = local
        local.parent.mkdir(parents=True, exist_ok=True)
        self._execute("CREATE TABLE IF NOT EXISTS merged_versions (key TEXT PRIMARY KEY)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.local, timeout=30)

    def _execute(self, sql: str, *params: str) -> list[tuple[str, ...]]:
        """One committed statement on a short-lived connection."""
        with closing(self._connect()) as db, db:
            return db.execute(sql, params).fetchall()

    def _merged(self) -> set[str]:
        return {key for (key,) in self._execute("SELECT key FROM merged_versions")}

    def pull(self) -> list[str]:
        """Merge the versions this file lacks (see module docstring); returns their keys.

        A file that holds no version yet takes the newest readable one; when every version it tries is
        unreadable it raises StateError, because a crawl without the state would fetch every archived
        article again. A file that holds earlier versions skips an unreadable one (it already has the rest).
        """
        versions = sorted(o.key for o in self.store.list(SEEN_PREFIX) if o.key.endswith(SEEN_SUFFIX))
        merged = self._merged()
        if not versions or versions[-1] in merged:
            return []
        if not merged:
            return [self._merge_newest_readable(versions[-MAX_MERGES:])]
        todo = [key for key in versions if key not in merged][-MAX_MERGES:]
        for key in todo:
            try:
                self._merge(key)
            except UNREADABLE as error:
                log.warning("state: version %s is unreadable and is skipped: %s", key, error)
                self._execute("INSERT OR IGNORE INTO merged_versions VALUES (?)", key)  # not retried
        log.info("state: merged %d version(s) from the archive into %s", len(todo), self.local)
        return todo

    def _merge_newest_readable(self, versions: list[str]) -> str:
        errors = []
        for key in reversed(versions):
            try:
                self._merge(key)
            except UNREADABLE as error:
                errors.append(f"{key} ({error})")
                continue
            for skipped in errors:
                log.warning("state: version %s is unreadable; took the one before it", skipped)
            log.info("state: merged version %s from the archive into %s", key, self.local)
            return key
        raise StateError(f"{self.store.uri}: no readable version of the crawl state under {SEEN_PREFIX}: "
                         f"{'; '.join(errors)}; nothing was fetched (without it every archived article would be "
                         "fetched again): restore a good copy, or delete the broken versions to start afresh")

    def _merge(self, key: str) -> None:
        with tempfile.TemporaryDirectory(prefix="newsarchive-state-") as tmp:
            other = Path(tmp) / "other.sqlite"
            other.write_bytes(gzip.decompress(self.store.get(key)))
            with closing(self._connect()) as db:
                db.execute("ATTACH DATABASE ? AS other", (str(other),))
                ours = {name for (name,) in db.execute("SELECT name FROM main.sqlite_master WHERE type='table'")}
                theirs = [name for (name,) in db.execute("SELECT name FROM other.sqlite_master WHERE type='table'")]
                if "merged_versions" not in theirs:  # every version has it; SQLite reads some garbage as empty
                    raise sqlite3.DatabaseError(f"{key} is not a version of the crawl state (no merged_versions)")
                with db:
                    for table in theirs:
                        if table in ours:
                            db.execute(f'INSERT OR IGNORE INTO main."{table}" SELECT * FROM other."{table}"')
                    db.execute("INSERT OR IGNORE INTO main.merged_versions VALUES (?)", (key,))
                db.execute("DETACH DATABASE other")

    def snapshot(self, spool: Spool, crawl_id: str) -> str:
        """Merge concurrent runs' versions, then write a snapshot into the spool; → its key (to upload)."""
        self.pull()
        key = seen_version_key(crawl_id)
        self._execute("INSERT OR IGNORE INTO merged_versions VALUES (?)", key)
        with tempfile.TemporaryDirectory(prefix="newsarchive-state-") as tmp:
            snapshot = Path(tmp) / "snapshot.sqlite"
            self._execute("VACUUM INTO ?", str(snapshot))
            with snapshot.open("rb") as source, atomic_file(spool.path(key)) as raw, \
                    gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as sink:
                shutil.copyfileobj(source, sink)
        return key
