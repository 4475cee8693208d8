"""Append-only JSONL.gz records file: one gzip member per record, so a killed run loses at most one line."""

import gzip
import json
import os
from pathlib import Path
from typing import Any

from pipelines.store.atomic import fsync_dir


class RecordsFile:
    """Written as `<path>.open`, renamed to `<path>` when complete (like WARC files)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.open_path = path.with_name(path.name + ".open")
        self.open_path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.open_path.open("xb")
        self.count = 0

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        self._fh.write(gzip.compress(line.encode("utf-8"), mtime=0))
        self._fh.flush()
        self.count += 1

    def close(self) -> None:
        """fsync and rename: only a complete file loses its `.open` suffix."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.open_path, self.path)
        fsync_dir(self.path.parent)
