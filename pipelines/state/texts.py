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

from pipelines.layout import TEXTS_PREFIX, texts_key
from pipelines.state.dedup import DuplicateIndex
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
