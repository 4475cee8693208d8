"""Payloads already in the archive, so an unchanged page is written as a `revisit` record (WARC.md "Dedup").

The key is target URI + payload digest, not the digest alone: replay tools (pywb) resolve a revisit by
looking up the original under the revisit's own URL, so a revisit pointing at a copy under another URL
would not replay. The value is where the original response record is (`CaptureRef`) and its WARC-Date.

Backends: a SQLite file in the spool directory (single-process mode) or a Redis hash (`REDIS_URL`,
shared by all workers). Entries are added only after the WARC holding the original is uploaded and
verified (pipelines.run.session does that), so a revisit never refers to bytes the archive may not have.

The archive's keys are write-once, so the index is not stored as one object that each run replaces:
every run stores the entries it added as `state/digests/<crawl_id>.ndjson.gz`, and a run starts by
loading the files of runs it has not seen yet (`sync`). A lost local file or an empty Redis is rebuilt
from those; a second host learns the first one's payloads the same way.
"""

from __future__ import annotations

import gzip
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pipelines.layout import DIGESTS_PREFIX
from pipelines.state.redis_client import archive_keys, connect
from pipelines.store.base import ObjectStore, StoreError
from pipelines.warc.writer import CaptureRef

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

SQLITE_NAME = ".digests.sqlite"  # a dotfile at the spool root: never taken for a file to upload


@dataclass(frozen=True)
class ArchivedPayload:
    """A response record whose payload later captures of the same URL can refer to."""

    url: str
    date: str  # its WARC-Date
    ref: CaptureRef

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "date": self.date, **self.ref.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArchivedPayload:
        fields = dict(data)
        return cls(url=fields.pop("url"), date=fields.pop("date"), ref=CaptureRef(**fields))


class DigestIndex(Protocol):
    """What the capture and the session need; thread-safe (lookups in the reactor, adds in upload threads)."""

    def lookup(self, url: str, payload_digest: str) -> ArchivedPayload | None: ...

    def add(self, entries: Iterable[ArchivedPayload]) -> None:
        """Remember entries; the first entry of a (URL, digest) wins (it is the full response)."""
        ...

    def has_delta(self, key: str) -> bool: ...

    def mark_delta(self, key: str) -> None: ...

    def close(self) -> None: ...


class SqliteDigestIndex:
    """The index in one local SQLite file."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.executescript(
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE IF NOT EXISTS payloads (url TEXT, digest TEXT, entry TEXT NOT NULL,"
            " PRIMARY KEY (url, digest)) WITHOUT ROWID;"
            "CREATE TABLE IF NOT EXISTS deltas (key TEXT PRIMARY KEY) WITHOUT ROWID;"
        )

    def lookup(self, url: str, payload_digest: str) -> ArchivedPayload | None:
        with self._lock:
            row = self._db.execute("SELECT entry FROM payloads WHERE url = ? AND digest = ?",
                                   (url, payload_digest)).fetchone()
        return ArchivedPayload.from_dict(json.loads(row[0])) if row else None

    def add(self, entries: Iterable[ArchivedPayload]) -> None:
        rows = [(e.url, e.ref.payload_digest, json.dumps(e.as_dict())) for e in entries]
        with self._lock, self._db:
            self._db.executemany("INSERT OR IGNORE INTO payloads VALUES (?, ?, ?)", rows)

    def has_delta(self, key: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM deltas WHERE key = ?", (key,)).fetchone() is not None

    def mark_delta(self, key: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO deltas VALUES (?)", (key,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RedisDigestIndex:
    """The index in Redis, under a namespace per archive (one Redis may serve several archives)."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.payloads = f"{namespace}:payloads"
        self.deltas = f"{namespace}:deltas"

    @staticmethod
    def _field(url: str, payload_digest: str) -> str:
        return f"{payload_digest} {url}"

    def lookup(self, url: str, payload_digest: str) -> ArchivedPayload | None:
        raw: bytes | None = self.client.hget(self.payloads, self._field(url, payload_digest))  # type: ignore[assignment]
        return ArchivedPayload.from_dict(json.loads(raw)) if raw else None

    def add(self, entries: Iterable[ArchivedPayload]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for entry in entries:
            pipe.hsetnx(self.payloads, self._field(entry.url, entry.ref.payload_digest), json.dumps(entry.as_dict()))
        pipe.execute()

    def has_delta(self, key: str) -> bool:
        return bool(self.client.sismember(self.deltas, key))

    def mark_delta(self, key: str) -> None:
        self.client.sadd(self.deltas, key)

    def close(self) -> None:
        self.client.close()


def redis_namespace(archive_uri: str) -> str:
    """`newsarchive:<hash of the archive URI>:digests`: the same archive spelled differently shares it."""
    return f"{archive_keys(archive_uri)}digests"


def open_digest_index(*, archive_uri: str, spool_root: Path, redis_url: str = "") -> DigestIndex:
    """Redis when `redis_url` is set, else the SQLite file beside the spool's files."""
    if redis_url:
        return RedisDigestIndex(connect(redis_url), redis_namespace(archive_uri))
    return SqliteDigestIndex(spool_root / SQLITE_NAME)


def encode_delta(entries: Iterable[ArchivedPayload]) -> bytes:
    lines = "".join(json.dumps(entry.as_dict(), separators=(",", ":")) + "\n" for entry in entries)
    return gzip.compress(lines.encode("utf-8"), mtime=0)


def decode_delta(data: bytes) -> list[ArchivedPayload]:
    return [ArchivedPayload.from_dict(json.loads(line)) for line in gzip.decompress(data).splitlines() if line]


def sync(index: DigestIndex, store: ObjectStore) -> int:
    """Load the entries of runs this index has not seen; a bad file is logged and retried next time."""
    loaded = 0
    for obj in store.list(DIGESTS_PREFIX):
        if index.has_delta(obj.key):
            continue
        try:
            entries = decode_delta(store.get(obj.key))
        except (StoreError, OSError, EOFError, ValueError, KeyError, TypeError) as error:
            log.error("dedup index: cannot load %s: %s", obj.key, error)
            continue
        index.add(entries)
        index.mark_delta(obj.key)
        loaded += len(entries)
    return loaded


class PayloadTracker:
    """Which written payloads may become dedup targets: only once the WARC holding them is uploaded and
    verified (WARC.md), so a revisit never refers to bytes the archive may not have. Thread-safe: payloads are
    written on the reactor thread, WARCs verified in upload threads."""

    def __init__(self, index: DigestIndex) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._pending: dict[str, list[ArchivedPayload]] = {}  # WARC key → payloads awaiting its upload
        self._verified: set[str] = set()
        self.added: list[ArchivedPayload] = []

    def lookup(self, url: str, payload_digest: str) -> ArchivedPayload | None:
        """The verified earlier capture of this URL with this payload (None when the index fails)."""
        try:
            return self.index.lookup(url, payload_digest)
        except Exception as error:  # e.g. Redis gone: write the full response instead
            log.warning("dedup lookup failed, archiving %s in full: %s", url, error)
            return None

    def written(self, payload: ArchivedPayload) -> None:
        with self._lock:
            if payload.ref.key not in self._verified:
                self._pending.setdefault(payload.ref.key, []).append(payload)
                return
        self._remember([payload])

    def verified(self, warc_key: str) -> None:
        with self._lock:
            self._verified.add(warc_key)
            payloads = self._pending.pop(warc_key, [])
        self._remember(payloads)

    def _remember(self, payloads: list[ArchivedPayload]) -> None:
        if not payloads:
            return
        try:
            self.index.add(payloads)
        except Exception as error:
            log.error("dedup index: %d payload(s) not remembered: %s", len(payloads), error)
            return
        with self._lock:
            self.added.extend(payloads)

    def encoded_additions(self) -> bytes | None:
        """This run's new dedup entries as a `state/digests/` object, None when there are none."""
        with self._lock:
            return encode_delta(self.added) if self.added else None

    def close(self) -> None:
        self.index.close()
