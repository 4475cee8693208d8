"""Object storage interface: the same write-once keys in a local directory or an S3 bucket.

Everything the archive writes goes through `ObjectStore`, so the pipeline never cares where
ARCHIVE_URI points. Keys are relative POSIX paths (`warc/2024/05/01/....warc.gz`); they are
deterministic and write-once, which makes a retried upload idempotent instead of a silent overwrite.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

READ_CHUNK = 8 * 1024 * 1024
# Local temp files carry this suffix; keys may not, so a crash leftover never looks like an object.
TEMP_SUFFIX = ".newsarchive-tmp"
DEFAULT_S3_PART_SIZE = 64 * 1024 * 1024


@dataclass(frozen=True)
class StoreOptions:
    """How to talk to the store, beyond its URI: the S3_* settings, resolved by the caller (the core reads no
    environment). Reading needs none of them; the defaults suit writing too."""

    s3_multipart_threshold: int = DEFAULT_S3_PART_SIZE
    s3_part_size: int = DEFAULT_S3_PART_SIZE


@dataclass(frozen=True)
class StoredObject:
    """An object as the store sees it; `sha256` (hex) is None where the store cannot tell cheaply."""

    key: str
    size: int
    sha256: str | None


class StoreError(Exception):
    """A storage operation failed; the message names the URI/key and what to do about it."""


class StoreConfigError(StoreError):
    """ARCHIVE_URI (or the store's configuration: credentials, bucket, a directory's permissions) is unusable."""


class StoreUnavailableError(StoreError):
    """The store (or another service the crawl's state lives in, e.g. Redis) did not answer: network, endpoint,
    or a server error. Running again once it is back can succeed; changing the configuration may not be needed."""


class ObjectExistsError(StoreError):
    """A write-once key already holds different content: retrying cannot fix it."""


class ObjectNotFoundError(StoreError):
    """`get` of a key that does not exist."""


class ObjectStore(Protocol):
    """What the pipeline needs from object storage; see LocalStore and S3Store."""

    uri: str

    def put_file(self, key: str, path: Path, *, sha256: str) -> StoredObject:
        """Store the file under a write-once key; same content already there → returned as is."""
        ...

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        """Store a small object with the same write-once semantics as `put_file`."""
        ...

    def get(self, key: str, *, start: int | None = None, length: int | None = None) -> bytes:
        """Bytes of the object, or of the range [start, start+length) clipped to its end."""
        ...

    def head(self, key: str) -> StoredObject | None:
        """Size and checksum of the object, None if it does not exist."""
        ...

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Objects whose key starts with `prefix`, sorted by key (sha256 may be None)."""
        ...

    def check(self) -> None:
        """Before a run writes anything: StoreConfigError or StoreUnavailableError unless the store answers and,
        for a directory, can be written."""
        ...


_KEY_SEGMENT = re.compile(r"[^/\x00-\x1f\\]+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def redact_uri(uri: str) -> str:
    """The URI for messages, logs and reports, without any user:password@ someone may have put in it."""
    scheme, sep, rest = uri.partition("://")
    authority, slash, path = rest.partition("/")
    return f"{scheme}{sep}{authority.rpartition('@')[2]}{slash}{path}" if sep else uri


def check_key(key: str) -> str:
    """Reject keys that could escape the archive root or collide with temp files."""
    segments = key.split("/")
    if (
        not key
        or key.endswith(TEMP_SUFFIX)
        or any(seg in ("", ".", "..") or not _KEY_SEGMENT.fullmatch(seg) for seg in segments)
    ):
        raise StoreError(
            f"invalid object key {key!r}: use a relative path like 'warc/2024/05/01/name.warc.gz' "
            "(no leading '/', no empty, '.' or '..' segments, no control characters)"
        )
    return key


def check_range(start: int | None, length: int | None) -> tuple[int, int | None]:
    """Normalise a ranged-read request to (start, length-or-None)."""
    begin = 0 if start is None else start
    if begin < 0 or (length is not None and length < 0):
        raise ValueError(f"byte range must not be negative (start={start}, length={length})")
    return begin, length


def hash_object(store: ObjectStore, key: str, size: int) -> str:
    """Hex SHA-256 of a stored object, read back in chunks (for stores that cannot report it)."""
    digest = hashlib.sha256()
    offset = 0
    while offset < size:
        chunk = store.get(key, start=offset, length=min(READ_CHUNK, size - offset))
        if not chunk:
            break
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a local file, streamed so WARCs of any size fit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → (bucket, 'some/prefix/'); the prefix is '' at the bucket root."""
    parts = urlsplit(uri)
    if parts.query or parts.fragment:
        raise StoreConfigError(f"ARCHIVE_URI {redact_uri(uri)!r}: remove the '?…'/'#…' part; use s3://bucket/prefix")
    bucket = parts.netloc
    if not bucket:
        raise StoreConfigError(f"ARCHIVE_URI {redact_uri(uri)!r} names no bucket: use s3://bucket or s3://bucket/prefix")
    if "@" in bucket:
        raise StoreConfigError(
            f"ARCHIVE_URI {redact_uri(uri)!r}: credentials do not belong in the URI; "
            "use the standard AWS credential chain (environment, profile, instance role)"
        )
    if not _BUCKET.fullmatch(bucket):
        raise StoreConfigError(
            f"ARCHIVE_URI {redact_uri(uri)!r}: {bucket!r} is not a valid S3 bucket name "
            "(3-63 characters: lowercase letters, digits, '.', '-')"
        )
    prefix = parts.path.strip("/")
    if prefix:
        try:
            check_key(prefix)
        except StoreError as exc:
            raise StoreConfigError(f"ARCHIVE_URI {redact_uri(uri)!r}: bad prefix: {exc}") from None
        prefix += "/"
    return bucket, prefix


def writable_hint(variable: str) -> str:
    """The fix for a directory this process cannot write (a container's mount is the usual cause)."""
    return (f"make it writable by uid {os.getuid()}, the user this runs as (for a container's mount: chown the "
            f"host directory), or set {variable} to a directory it can write")


def local_root(uri: str) -> Path:
    """The absolute directory a local ARCHIVE_URI (plain path or file:///abs) points at."""
    if uri.startswith("file:"):
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StoreConfigError(
                f"ARCHIVE_URI {redact_uri(uri)!r}: use file:///absolute/path or a plain directory path")
        return Path(parts.path)
    if _SCHEME.match(uri):
        raise StoreConfigError(
            f"ARCHIVE_URI {redact_uri(uri)!r}: unsupported scheme; use a directory path, file:///abs/dir or s3://bucket/prefix"
        )
    return Path(uri).expanduser().absolute()


def normalize_uri(uri: str) -> str:
    """One spelling per archive: `file:///abs/dir` or `s3://bucket/prefix` (used for spool folders)."""
    uri = uri.strip()
    if not uri:
        raise StoreConfigError("ARCHIVE_URI is empty: set it to a directory path or s3://bucket/prefix")
    if uri.startswith("s3:"):
        if not uri.startswith("s3://"):
            raise StoreConfigError(f"ARCHIVE_URI {redact_uri(uri)!r}: S3 URIs look like s3://bucket/prefix")
        bucket, prefix = parse_s3_uri(uri)
        return f"s3://{bucket}/{prefix}".rstrip("/")
    return local_root(uri).as_uri()


def archive_id(uri: str) -> str:
    """A short stable name of an archive (hex SHA-256 of its normalised URI, 16 digits): its spool folder and
    its Redis key prefix, the same however the URI is spelled."""
    return hashlib.sha256(normalize_uri(uri).encode()).hexdigest()[:16]
