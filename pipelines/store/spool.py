"""The local spool: every archive file is written here first and deleted only after a verified upload.

Writers get a path from `Spool.path(key)`, write `<path>.open`, and rename it to `<path>` when the
file is complete; `upload(key)` then stores it, checks size and SHA-256 against the store, and only
then removes the local copy. A killed run leaves `.open` files and un-uploaded files behind;
`recover()` salvages the complete part of the former and uploads everything.

One process owns a spool directory at a time (an flock on `.lock`), because salvaging truncates
`.open` files — doing that to a file another live process is still writing would destroy data.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pipelines.layout import CDXJ_SUFFIX, crawl_warc_of_records, is_run_report_key, is_warc_key, warc_of_index
from pipelines.store.atomic import OPEN_SUFFIX, salvage
from pipelines.store.base import (
    ObjectExistsError,
    ObjectStore,
    StoreConfigError,
    StoredObject,
    StoreError,
    archive_id,
    check_key,
    hash_object,
    sha256_file,
    writable_hint,
)

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"
ARCHIVE_NAME = ".archive-uri"  # which archive this spool feeds, so leftovers never go elsewhere


def archive_spool_root(spool_dir: Path, archive_uri: str) -> Path:
    """The archive's own folder in the spool directory (the SPOOL setting): a hash of its URI, so every
    spelling of one archive shares a folder and leftovers never go to another archive."""
    return spool_dir / archive_id(archive_uri)


class Spool:
    """Local files awaiting upload to `store`; thread-safe, one owning process per directory."""

    def __init__(self, root: Path, store: ObjectStore, *, attempts: int = 4, backoff: float = 1.0) -> None:
        self.root = root
        self.store = store
        self.attempts = attempts
        self.backoff = backoff
        self._mutex = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._in_use: dict[Path, int] = {}  # dirs holding paths handed out by path(): never pruned
        try:
            root.mkdir(parents=True, exist_ok=True)
            _lock_root(root)
        except OSError as exc:
            raise StoreConfigError(f"spool {root}: cannot use it ({exc.strerror}: {exc.filename or root}); "
                                   f"{writable_hint('NEWSARCHIVE_SPOOL')}") from exc
        self._closed = False
        self._check_archive()

    def _check_archive(self) -> None:
        marker = self.root / ARCHIVE_NAME
        if not marker.exists():
            marker.write_text(self.store.uri + "\n", encoding="utf-8")
            return
        owner = marker.read_text(encoding="utf-8").strip()
        if owner != self.store.uri:
            self.close()
            raise StoreConfigError(
                f"spool {self.root} holds files for {owner}, not {self.store.uri}; "
                "use that archive to upload them, or another spool directory"
            )

    def close(self) -> None:
        """Give up ownership of the directory (the process exiting does the same)."""
        if not self._closed:
            self._closed = True
            _unlock_root(self.root)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing side ----------------------------------------------------------------------------

    def path(self, key: str) -> Path:
        """Where to write `key` (as `<path>.open` until complete); parent dirs are created."""
        target = self.root / check_key(key)
        if target.parent == self.root and target.name in (LOCK_NAME, ARCHIVE_NAME):
            raise StoreError(f"spool {self.root}: key {key!r} is reserved for the spool itself")
        with self._mutex:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._in_use[target.parent] = self._in_use.get(target.parent, 0) + 1
        return target

    def pending(self) -> list[str]:
        """Keys of complete files waiting for upload, sorted (the spool's own dot-files and dot-folders aside)."""
        keys = []
        for dirpath, dirs, files in os.walk(self.root):
            if Path(dirpath) == self.root:
                dirs[:] = [name for name in dirs if not name.startswith(".")]
            for name in files:
                path = Path(dirpath, name)
                if name.endswith(OPEN_SUFFIX) or (path.parent == self.root and name.startswith(".")):
                    continue
                keys.append(path.relative_to(self.root).as_posix())
        return sorted(keys)

    # -- uploading -------------------------------------------------------------------------------

    def upload(self, key: str) -> StoredObject:
        """Store the complete file for `key`, verify it, then delete it; StoreError leaves it in place."""
        with self._lock_for(key):
            path = self.root / check_key(key)
            if not path.is_file():
                raise StoreError(f"spool {self.root}: no complete file for {key!r} at {path}")
            size, sha256 = path.stat().st_size, sha256_file(path)
            stored = self._upload_verified(key, path, size, sha256)
            path.unlink()
            self._release_and_prune(path.parent)
            return stored

    def _upload_verified(self, key: str, path: Path, size: int, sha256: str) -> StoredObject:
        error: StoreError | None = None
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                stored = self.store.put_file(key, path, sha256=sha256)
                self._verify(key, size, sha256)
                return stored
            except ObjectExistsError as exc:  # permanent: retrying cannot change the stored object
                raise ObjectExistsError(f"{exc}; the local file stays at {path}") from exc
            except StoreError as exc:
                error = exc
                log.warning("upload of %s failed (attempt %d/%d): %s", key, attempt + 1, self.attempts, exc)
        raise StoreError(
            f"{self.store.uri}: upload of {key!r} failed after {self.attempts} attempts; the file stays at "
            f"{path} and is uploaded by the next run's recovery. Last error: {error}"
        ) from error

    def _verify(self, key: str, size: int, sha256: str) -> None:
        """Trust the upload only once the store reports the same size and SHA-256 as the local file."""
        stored = self.store.head(key)
        if stored is None:
            raise StoreError(f"{self.store.uri}: {key!r} is missing right after its upload")
        actual = stored.sha256
        if stored.size == size and actual is None:
            actual = hash_object(self.store, key, size)
        if stored.size != size or actual != sha256:
            raise StoreError(
                f"{self.store.uri}: {key!r} does not verify: stored size {stored.size} sha256 {actual}, "
                f"local size {size} sha256 {sha256}"
            )

    def _lock_for(self, key: str) -> threading.Lock:
        with self._mutex:
            return self._key_locks.setdefault(key, threading.Lock())

    def _release_and_prune(self, directory: Path) -> None:
        """Remove empty parent dirs, except ones a writer got from path() and may be about to use."""
        with self._mutex:
            users = self._in_use.pop(directory, 0)
            if users > 1:
                self._in_use[directory] = users - 1
                return
            while directory != self.root and directory not in self._in_use:
                try:
                    directory.rmdir()
                except OSError:  # not empty (or already gone): stop here
                    return
                directory = directory.parent

    # -- recovery --------------------------------------------------------------------------------

    def recover(self, prepare: Callable[[str], None] | None = None) -> list[StoredObject]:
        """Salvage `.open` leftovers of a killed run, let `prepare` complete each pending file's companions
        (e.g. a WARC's index), then upload every pending file: WARCs first, then the indexes and records files that
        point into WARCs the archive holds, run reports last ("written last").

        Call it at start, before this process writes. A leftover that cannot be prepared or uploaded is logged
        (one line) and kept for the next run (`pending()` names it), so one bad leftover never blocks a crawl.
        An index or records file waits in the spool while its WARC is not in the archive: it would point nowhere.
        """
        for open_path in sorted(self.root.rglob("*" + OPEN_SUFFIX)):
            if open_path.relative_to(self.root).parts[0].startswith(".") or not open_path.is_file():
                continue  # the spool's own bookkeeping, or not a file any writer of ours left
            try:
                if open_path.name.endswith(CDXJ_SUFFIX + OPEN_SUFFIX):
                    open_path.unlink()  # derived from its WARC: rebuilt by `prepare`, never uploaded half-written
                else:
                    salvage(open_path)
            except OSError as exc:
                log.error("recovery: cannot salvage %s (%s); left as it is", open_path, exc)
        if prepare is not None:
            for key in self.pending():
                try:
                    prepare(key)
                except Exception as exc:  # the hook's own failure handling failed: still upload what is there
                    log.error("recovery: could not prepare %s (%s: %s); uploading it as it is", key,
                              type(exc).__name__, exc)
        uploaded: list[StoredObject] = []
        for key in sorted(self.pending(), key=_upload_rank):
            warc = _warc_needed_by(key)
            if warc is not None and not self._in_archive(warc, uploaded):
                log.error("recovery: %s stays in the spool: the WARC it points into (%s) is not in the archive yet",
                          key, warc)
                continue
            try:
                uploaded.append(self.upload(key))
            except (StoreError, OSError) as exc:
                log.error("recovery could not upload %s: %s", key, exc)
        return uploaded

    def _in_archive(self, key: str, uploaded_now: list[StoredObject]) -> bool:
        if any(stored.key == key for stored in uploaded_now):
            return True
        if (self.root / key).exists():
            return False  # still waiting here: its upload failed just now
        try:
            return self.store.head(key) is not None
        except StoreError:
            return False


def _upload_rank(key: str) -> tuple[int, str]:
    """Upload order of leftovers: WARCs, then what points into them (indexes, records files), state, and run
    reports last (a report in the archive means everything it lists is there)."""
    if is_warc_key(key):
        rank = 0
    elif _warc_needed_by(key) is not None:
        rank = 1
    else:
        rank = 3 if is_run_report_key(key) else 2
    return rank, key


def _warc_needed_by(key: str) -> str | None:
    """The WARC a CDXJ index or a crawl's records file points into: it must be in the archive first."""
    return warc_of_index(key) or crawl_warc_of_records(key)


_owned: dict[Path, tuple[int, int]] = {}  # spool root → (lock fd, Spool objects using it)
_owned_mutex = threading.Lock()


def _lock_root(root: Path) -> None:
    """Take the directory's flock, shared by all Spool objects of this process."""
    key = root.resolve()
    with _owned_mutex:
        if key in _owned:
            fd, users = _owned[key]
            _owned[key] = (fd, users + 1)
            return
        fd = os.open(key / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreConfigError(
                f"spool {root} is in use by another process (pid {holder}); give each concurrent "
                "newsarchive process its own NEWSARCHIVE_SPOOL"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _owned[key] = (fd, 1)


def _unlock_root(root: Path) -> None:
    key = root.resolve()
    with _owned_mutex:
        fd, users = _owned[key]
        if users > 1:
            _owned[key] = (fd, users - 1)
            return
        del _owned[key]
        with contextlib.suppress(OSError):
            os.close(fd)  # closing the descriptor releases the flock
