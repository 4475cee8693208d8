"""Which seen-store a crawl uses, opened and checked before its first request: Redis when `REDIS_URL` is
set, else the local SQLite file beside the spool, merged with the archive's state first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipelines.state.redis_client import archive_keys
from pipelines.state.seen import SeenStore
from pipelines.state.seen_redis import RedisSeenStore
from pipelines.state.seen_sqlite import SqliteSeenStore
from pipelines.state.sync import StateSync
from pipelines.store.base import ObjectStore, StoreConfigError, writable_hint


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
