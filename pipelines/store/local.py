"""ObjectStore on a local directory: the zero-setup default (`ARCHIVE_URI=./archive`).

Objects appear atomically: content goes to a temp file in the target directory, is fsynced, then
hard-linked to its key. `os.link` fails if the key exists, so write-once holds even between
concurrent writers, and a crash leaves at most a temp file, never a partial object.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipelines.store.atomic import fsync_dir
from pipelines.store.base import (
    READ_CHUNK,
    TEMP_SUFFIX,
    ObjectExistsError,
    ObjectNotFoundError,
    StoreConfigError,
    StoredObject,
    StoreError,
    check_key,
    check_range,
    sha256_file,
    writable_hint,
)


class LocalStore:
    """Objects are files under `root`; keys map to relative paths."""

    def __init__(self, root: Path) -> None:
        if root.exists() and not root.is_dir():
            raise StoreConfigError(f"ARCHIVE_URI {root}: exists but is not a directory; point it at a directory")
        self.root = root.absolute()
        self.uri = self.root.as_uri()

    def check(self) -> None:
        """The directory exists (created if need be) and this process can create files in it (tried: permission
        bits do not tell for root, a read-only mount or an immutable directory)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root, suffix=TEMP_SUFFIX):
                pass
        except OSError as exc:
            raise StoreConfigError(f"ARCHIVE_URI {self.root}: cannot write there ({exc.strerror}); "
                                   f"{writable_hint('ARCHIVE_URI')}") from exc

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path, *, sha256: str) -> StoredObject:
        """Copy `path` to `key` atomically; write-once (see module doc)."""
        try:
            existing = self._existing(key, path.stat().st_size, sha256)
            if existing:
                return existing
            with path.open("rb") as src:
                return self._write(key, iter(lambda: src.read(READ_CHUNK), b""), sha256, source=str(path))
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot store {key!r} from {path}: {exc}") from exc

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        """Store a small object atomically; write-once."""
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            return self._existing(key, len(data), sha256) or self._write(key, [data], sha256, source="data")
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot store {key!r}: {exc}") from exc

    def _existing(self, key: str, size: int, sha256: str) -> StoredObject | None:
        """The object already at `key` if it holds this content; ObjectExistsError if it differs."""
        target = self._path(key)
        if not target.exists():
            return None
        if target.is_file() and target.stat().st_size == size and sha256_file(target) == sha256:
            return StoredObject(key, size, sha256)
        raise ObjectExistsError(
            f"{self.uri}: {key!r} already exists with different content; keys are write-once — "
            "write under a new key (or remove the stale object by hand if it is known to be bad)"
        )

    def _write(self, key: str, chunks: Iterable[bytes], sha256: str, *, source: str) -> StoredObject:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
        digest, size = hashlib.sha256(), 0
        try:
            # os.open with 0o666 so the object gets the user's umask, like any other file they write.
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise StoreError(
                    f"{self.uri}: {key!r}: {source} does not match the expected sha256 "
                    f"({digest.hexdigest()} != {sha256}); it changed while being stored — retry"
                )
            try:
                os.link(tmp, target)
            except FileExistsError:  # another writer won the race: fine if it wrote the same bytes
                return self._existing(key, size, sha256) or StoredObject(key, size, sha256)
            fsync_dir(target.parent)
        finally:
            tmp.unlink(missing_ok=True)
        return StoredObject(key, size, sha256)

    def get(self, key: str, *, start: int | None = None, length: int | None = None) -> bytes:
        """Read the whole object or a byte range of it."""
        begin, count = check_range(start, length)
        try:
            with self._path(key).open("rb") as fh:
                fh.seek(begin)
                return fh.read() if count is None else fh.read(count)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFoundError(f"{self.uri}: no object {key!r}") from exc
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot read {key!r}: {exc}") from exc

    def head(self, key: str) -> StoredObject | None:
        """Size and sha256 (computed by reading the file, so it verifies what is on disk)."""
        target = self._path(key)
        try:
            if not target.is_file():
                return None
            return StoredObject(key, target.stat().st_size, sha256_file(target))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot read {key!r}: {exc}") from exc

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Objects under `prefix`, sorted by key; sha256 is None (hashing every file would be slow)."""
        if ".." in prefix.split("/"):
            raise StoreError(f"{self.uri}: invalid list prefix {prefix!r}")
        base = self.root / prefix.rpartition("/")[0]
        found: list[StoredObject] = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if name.endswith(TEMP_SUFFIX):
                    continue
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(StoredObject(key, path.stat().st_size, None))
        yield from sorted(found, key=lambda obj: obj.key)
