"""ObjectStore on S3 (AWS, MinIO, anything speaking the S3 API) via boto3.

Configuration is boto3's own: the standard credential chain, region, and `AWS_ENDPOINT_URL` for
non-AWS servers, so nothing secret ever passes through this code or its messages. Part sizes come
from the caller (the S3_* settings); this module reads no environment itself. Uploads send
SHA-256 checksums the server verifies, and `If-None-Match: *` so a key is written at most once.
The hex SHA-256 of the whole object also goes into `x-amz-meta-sha256`, because a multipart
object's own checksum is a checksum of part checksums, not of the file.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pipelines.store.base import (
    DEFAULT_S3_PART_SIZE,
    ObjectExistsError,
    ObjectNotFoundError,
    StoreConfigError,
    StoredObject,
    StoreError,
    check_key,
    check_range,
    hash_object,
)
from pipelines.store.s3_errors import error_code, http_status, s3_error

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's floor for every part but the last
METADATA_KEY = "sha256"


def _client_config(session: botocore.session.Session) -> Config:
    """Retries with backoff (standard mode, 5 attempts) unless the AWS configuration chain (AWS_RETRY_MODE,
    AWS_MAX_ATTEMPTS, ~/.aws/config) asks for something else: a retries dict passed to the client would
    override that chain, so only what it leaves unset is filled in. "legacy" is what older botocore
    reports when nothing is configured."""
    retries: dict[str, Any] = {}
    if session.get_config_variable("retry_mode") == "legacy":
        retries["mode"] = "standard"
    if session.get_config_variable("max_attempts") is None:
        retries["total_max_attempts"] = 5
    return Config(retries=retries, connect_timeout=10, read_timeout=120)  # type: ignore[arg-type]


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class S3Store:
    """Objects live at `s3://bucket/<prefix><key>`."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        multipart_threshold: int = DEFAULT_S3_PART_SIZE,
        part_size: int = DEFAULT_S3_PART_SIZE,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.uri = f"s3://{bucket}/{prefix}".rstrip("/")
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold
        if self.part_size < MIN_PART_SIZE:
            raise StoreConfigError(f"{self.uri}: S3 part size {self.part_size} (NEWSARCHIVE_S3_PART_SIZE) is below "
                                   f"S3's minimum of {MIN_PART_SIZE} bytes (5 MiB)")
        try:
            # A private session: boto3's default session is not safe to share between threads.
            botocore_session = botocore.session.get_session()
            self._client = boto3.session.Session(botocore_session=botocore_session).client(
                "s3", config=_client_config(botocore_session))
        except BotoCoreError as exc:
            raise StoreConfigError(f"{self.uri}: cannot set up the S3 client: {exc}") from exc

    # -- writing ---------------------------------------------------------------------------------

    def put_file(self, key: str, path: Path, *, sha256: str) -> StoredObject:
        """Upload `path` write-once: a single PUT below the multipart threshold, multipart above."""
        check_key(key)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise StoreError(f"{self.uri}: cannot upload {key!r}: {exc}") from exc
        if size < self.multipart_threshold:
            with path.open("rb") as body:
                return self._put_single(key, body, size, sha256)
        existing = self.head(key)  # a retried 1 GB upload should not resend 1 GB
        if existing:
            return self._resolve_existing(key, existing, size, sha256)
        return self._put_multipart(key, path, size, sha256)

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        """Upload a small object write-once."""
        check_key(key)
        return self._put_single(key, data, len(data), hashlib.sha256(data).hexdigest())

    def _put_single(self, key: str, body: Any, size: int, sha256: str) -> StoredObject:
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Body=body,
                IfNoneMatch="*",
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_b64(bytes.fromhex(sha256)),
                Metadata={METADATA_KEY: sha256},
            )
        except ClientError as exc:
            if http_status(exc) == 412:
                return self._resolve_conflict(key, size, sha256)
            raise self._error(exc, "upload", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "upload", key) from exc
        return StoredObject(key, size, sha256)

    def _put_multipart(self, key: str, path: Path, size: int, sha256: str) -> StoredObject:
        full_key = self.prefix + key
        try:
            upload_id = self._client.create_multipart_upload(
                Bucket=self.bucket, Key=full_key, ChecksumAlgorithm="SHA256", Metadata={METADATA_KEY: sha256}
            )["UploadId"]
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "start multipart upload of", key) from exc
        try:
            parts, part_digests, whole = self._upload_parts(full_key, upload_id, path)
            if whole != sha256:
                raise StoreError(
                    f"{self.uri}: {path} no longer matches sha256 {sha256} (it changed while uploading "
                    f"{key!r}); the upload was aborted — retry"
                )
            done = self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=full_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except ClientError as exc:
            self._abort(full_key, upload_id)
            if http_status(exc) == 412:
                return self._resolve_conflict(key, size, sha256)
            raise self._error(exc, "upload", key) from exc
        except BotoCoreError as exc:
            self._abort(full_key, upload_id)
            raise self._error(exc, "upload", key) from exc
        except BaseException:
            self._abort(full_key, upload_id)
            raise
        composite = _b64(hashlib.sha256(b"".join(part_digests)).digest())
        reported = done.get("ChecksumSHA256")
        if reported and reported.split("-")[0] != composite:
            raise StoreError(
                f"{self.uri}: S3 reports checksum {reported} for {key!r}, expected {composite}-{len(parts)}; "
                "the stored object is corrupt — delete it by hand and upload again"
            )
        return StoredObject(key, size, sha256)

    def _upload_parts(self, full_key: str, upload_id: str, path: Path) -> tuple[list[dict], list[bytes], str]:
        """Send the file in `part_size` parts, each with its SHA-256 for the server to check."""
        parts: list[dict] = []
        digests: list[bytes] = []
        whole = hashlib.sha256()
        with path.open("rb") as fh:
            for number in count(1):
                chunk = fh.read(self.part_size)
                if not chunk and number > 1:
                    break
                whole.update(chunk)
                digest = hashlib.sha256(chunk).digest()
                response = self._client.upload_part(
                    Bucket=self.bucket,
                    Key=full_key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=chunk,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=_b64(digest),
                )
                parts.append({"ETag": response["ETag"], "PartNumber": number, "ChecksumSHA256": _b64(digest)})
                digests.append(digest)
        return parts, digests, whole.hexdigest()

    def _abort(self, full_key: str, upload_id: str) -> None:
        """Best effort: drop uploaded parts so they do not linger (and cost) on the server."""
        with contextlib.suppress(ClientError, BotoCoreError):
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=full_key, UploadId=upload_id)

    def _resolve_conflict(self, key: str, size: int, sha256: str) -> StoredObject:
        """The key already existed: an earlier attempt of this upload, or a real conflict."""
        existing = self.head(key)
        if existing is None:
            raise StoreError(f"{self.uri}: {key!r} was reported as existing but is gone; retry the upload")
        return self._resolve_existing(key, existing, size, sha256)

    def _resolve_existing(self, key: str, existing: StoredObject, size: int, sha256: str) -> StoredObject:
        actual = existing.sha256
        if actual is None and existing.size == size:
            actual = hash_object(self, key, size)
        if existing.size == size and actual == sha256:
            return StoredObject(key, size, sha256)
        raise ObjectExistsError(
            f"{self.uri}: {key!r} already exists with different content (size {existing.size}, "
            f"sha256 {actual}); keys are write-once — write under a new key"
        )

    # -- reading ---------------------------------------------------------------------------------

    def get(self, key: str, *, start: int | None = None, length: int | None = None) -> bytes:
        """The object, or a byte range of it (a range past the end gives b"")."""
        check_key(key)
        begin, count_ = check_range(start, length)
        if count_ == 0:
            return b""
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.prefix + key}
        if count_ is not None:
            args["Range"] = f"bytes={begin}-{begin + count_ - 1}"
        elif begin:
            args["Range"] = f"bytes={begin}-"
        try:
            return self._client.get_object(**args)["Body"].read()
        except ClientError as exc:
            code = error_code(exc)
            if code == "InvalidRange":
                return b""
            if code in ("NoSuchKey", "404"):
                raise ObjectNotFoundError(f"{self.uri}: no object {key!r}") from exc
            raise self._error(exc, "read", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "read", key) from exc

    def head(self, key: str) -> StoredObject | None:
        """Size and sha256: S3's own checksum for single-part objects, else our metadata."""
        check_key(key)
        try:
            response = self._client.head_object(Bucket=self.bucket, Key=self.prefix + key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if http_status(exc) == 404:
                return None
            raise self._error(exc, "inspect", key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, "inspect", key) from exc
        return StoredObject(key, response["ContentLength"], _sha256_of(response))

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Objects under `prefix`, in S3's key order (sorted); sha256 is None (listings lack it)."""
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"][len(self.prefix) :], item["Size"], None)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "list", prefix or "/") from exc

    # -- errors ----------------------------------------------------------------------------------

    def check(self) -> None:
        """One listing request: the endpoint answers, the bucket exists and the credentials may read it."""
        try:
            self._client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "list", self.prefix or "/") from exc

    def _error(self, exc: Exception, action: str, key: str) -> StoreError:
        return s3_error(exc, f"{self.uri}: cannot {action} {key!r}", bucket=self.bucket,
                        endpoint=self._client.meta.endpoint_url)


def _sha256_of(head: dict[str, Any]) -> str | None:
    """Hex SHA-256 of the whole object if the server or our metadata can tell, else None.

    A multipart object's ChecksumSHA256 covers its parts' checksums, not the bytes; such objects
    are recognisable by ChecksumType COMPOSITE or a '-N' suffix on the checksum or ETag.
    """
    checksum = head.get("ChecksumSHA256")
    composite = (
        head.get("ChecksumType") == "COMPOSITE" or "-" in (checksum or "") or "-" in head.get("ETag", "").strip('"')
    )
    if checksum and not composite:
        return base64.b64decode(checksum).hex()
    meta = head.get("Metadata", {}).get(METADATA_KEY, "").lower()
    if len(meta) == 64 and all(c in "0123456789abcdef" for c in meta):
        return meta
    return None
