"""Texts of earlier runs, so a syndicated copy links (`duplicate_of`) to a record archived in another run.

Archive keys are write-once, so there is no single index object that each run replaces: every run stores
the original texts it added as `state/texts/<crawl_id>.ndjson.gz` (uploaded by the session, so it is in the
run's manifest) (text SHA-1, SimHash, record id) and the
next run loads all of them into its DuplicateIndex. About 80 bytes per article: a million articles load
in seconds.
"""

import gzip
import json
import logging
from typing import Any

from pipelines.layout import TEXTS_PREFIX, texts_key
from pipelines.records.simhash import hamming
from pipelines.state.dedup import MAX_DISTANCE, DuplicateIndex, bands
from pipelines.store.atomic import write_atomic
from pipelines.store.base import ObjectStore, StoreError
from pipelines.store.spool import Spool

log = logging.getLogger(__name__)


def load_earlier_texts(index: DuplicateIndex, store: ObjectStore) -> int:
    """Add every earlier run's originals to the index; an unreadable file costs links, never the crawl."""
    loaded = 0
    try:
        objects = list(store.list(TEXTS_PREFIX))
    except StoreError as error:
        log.warning("near-duplicate index: earlier runs' texts not loaded: %s", error)
        return 0
    for obj in objects:
        try:
            lines = gzip.decompress(store.get(obj.key)).decode("utf-8").splitlines()
            for line in lines:
                entry = json.loads(line)
                index.add(entry["text_sha1"], int(entry["simhash"], 16), entry["id"])
                loaded += 1
        except (StoreError, OSError, ValueError, KeyError, TypeError) as error:
            log.warning("near-duplicate index: skipped %s: %s", obj.key, error)
    return loaded


def write_run_texts(index: DuplicateIndex, spool: Spool, crawl_id: str) -> str | None:
    """This run's originals as one file in the spool, ready for upload; its key (None when there were none)."""
    if not index.added:
        return None
    key = texts_key(crawl_id)
    lines = (json.dumps({"text_sha1": sha1, "simhash": f"{simhash:016x}", "id": record_id})
             for sha1, simhash, record_id in index.added)
    write_atomic(spool.path(key), gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))
    return key


class SharedDuplicateIndex(DuplicateIndex):
    """A DuplicateIndex that the workers of a shared crawl fill together: the originals each one adds go to
    Redis too (text SHA-1 → id, and the SimHash bands), so a copy of a text another worker recorded in this run
    links to it. Earlier runs' texts are loaded locally by each worker, as in a single process.

    Two workers recording the same text at the same moment may both keep it as an original (no lock across
    the lookup and the add); the next copy links to the first one added."""

    def __init__(self, client: Any, prefix: str) -> None:
        super().__init__()
        self.client = client
        self.exact_key = prefix + "exact"
        self.band_prefix = prefix + "band:"

    def find(self, text_sha1: str, simhash: int) -> str | None:
        found = super().find(text_sha1, simhash)
        if found is not None:
            return found
        shared = self.client.hget(self.exact_key, text_sha1)
        if shared is not None:
            return str(shared.decode())
        for band, value in bands(simhash):
            for entry in self.client.smembers(f"{self.band_prefix}{band}:{value}"):
                other, _, record_id = entry.decode().partition(" ")
                if hamming(simhash, int(other, 16)) <= MAX_DISTANCE:
                    return record_id
        return None

    def add(self, text_sha1: str, simhash: int, record_id: str) -> None:
        super().add(text_sha1, simhash, record_id)
        pipe = self.client.pipeline(transaction=False)
        pipe.hsetnx(self.exact_key, text_sha1, record_id)
        for band, value in bands(simhash):
            pipe.sadd(f"{self.band_prefix}{band}:{value}", f"{simhash:016x} {record_id}")
        pipe.execute()
