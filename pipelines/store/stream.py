"""A stored object as a read-only stream, fetched in ranged reads (no local copy of a 1 GB WARC)."""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from pipelines.store.base import READ_CHUNK, ObjectStore


def open_object(store: ObjectStore, key: str) -> BinaryIO:
    """A buffered stream over a stored object: one ranged read per 8 MiB."""
    return io.BufferedReader(StoreReader(store, key), buffer_size=READ_CHUNK)


class StoreReader(io.RawIOBase):
    """A read-only stream over a stored object, fetched in ranged reads (no local copy of a 1 GB WARC)."""

    def __init__(self, store: ObjectStore, key: str) -> None:
        super().__init__()
        self.store, self.key = store, key
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.store.get(self.key, start=self.position, length=len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)
