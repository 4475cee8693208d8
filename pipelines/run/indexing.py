"""The CDXJ index of each WARC a crawl writes, and of WARCs an earlier run uploaded without one.

An index that cannot be written never keeps its WARC out of the archive: the failure is one line, the WARC goes up
without it, and a note in the spool (`.unindexed/<warc key>`, holding how many runs tried) has the next runs fetch
the WARC back and index it, MAX_INDEX_ATTEMPTS times; then it is left to an operator.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from pipelines.layout import WARC_SUFFIX, cdxj_key_for
from pipelines.records.lookup import download
from pipelines.run.output import RunOutput
from pipelines.store.atomic import partial_path, write_atomic
from pipelines.store.base import StoreError
from pipelines.warc.cdxj import LiveIndexes, write_cdxj

log = logging.getLogger(__name__)

UNINDEXED_DIR = ".unindexed"  # in the spool: one note per WARC uploaded without its CDXJ (how many runs tried)
MAX_INDEX_ATTEMPTS = 3


class WarcIndexes:
    """Writes the CDXJ of WARCs in the run's spool (`live`: the indexes built while the WARCs were written)."""

    def __init__(self, output: RunOutput, live: LiveIndexes | None) -> None:
        self.output = output
        self.live = live
        self.not_indexed: set[str] = set()  # WARCs whose indexing failed in this run

    def index(self, warc_key: str) -> bool:
        """Write the CDXJ of a WARC in the spool. A failure is one line, leaves a note for a later run to index it
        again (from the archive), and never keeps the WARC itself from being uploaded."""
        note = self.output.spool_root / UNINDEXED_DIR / warc_key
        try:
            write_cdxj(self.output.spool.path(warc_key), self.live)
        except Exception as error:  # a WARC the indexer cannot read, a full disk, …: the capture matters more
            log.error("CDXJ of %s not written (%s: %s); the WARC is uploaded without it and indexed again by the "
                      "next run", warc_key, type(error).__name__, error)
            self.output.failed_uploads.append({"key": cdxj_key_for(warc_key), "error": f"not indexed: {error}"})
            self.not_indexed.add(warc_key)
            with contextlib.suppress(OSError):
                note.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(note, f"{_attempts(note) + 1}\n".encode())
            return False
        with contextlib.suppress(OSError):
            note.unlink(missing_ok=True)
        return True

    def index_uploaded(self) -> None:
        """Index the WARCs earlier runs uploaded without a CDXJ (a note in the spool names each): fetched back from
        the archive into the spool, indexed, the index uploaded. MAX_INDEX_ATTEMPTS runs try, then an operator."""
        notes = self.output.spool_root / UNINDEXED_DIR
        for note in sorted(notes.rglob("*" + WARC_SUFFIX)) if notes.is_dir() else []:
            warc_key = note.relative_to(notes).as_posix()
            if warc_key in self.not_indexed or (self.output.spool_root / warc_key).exists():
                continue  # failed just now, or still in the spool (recovery indexes it with the others)
            try:
                store = self.output.store
                if store.head(cdxj_key_for(warc_key)) is not None or store.head(warc_key) is None:
                    note.unlink()  # indexed meanwhile, or nothing to index
                elif _attempts(note) >= MAX_INDEX_ATTEMPTS:
                    log.error("CDXJ of %s: indexing failed in %d runs; build it by hand (cdxj-indexer -s -p) and "
                              "remove %s", warc_key, MAX_INDEX_ATTEMPTS, note)
                else:
                    self._fetch_and_index(warc_key)
            except (StoreError, OSError) as error:
                log.error("CDXJ of %s still missing (%s); the next run tries again", warc_key, error)

    def _fetch_and_index(self, warc_key: str) -> None:
        """A working copy of an archived WARC, indexed; the index is uploaded (or waits in the spool)."""
        path = self.output.spool.path(warc_key)
        partial = partial_path(path)
        try:
            if download(self.output.store, warc_key, partial) is None:
                return
            os.replace(partial, path)
            if self.index(warc_key):
                self.output.upload_now(cdxj_key_for(warc_key), f"CDXJ of {warc_key}")
        finally:
            partial.unlink(missing_ok=True)
            path.unlink(missing_ok=True)  # the archive holds the WARC


def _attempts(note: Path) -> int:
    """How many runs already failed to index the WARC a note names."""
    try:
        return int(note.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0
