"""What a failed S3 call means for the operator: a configuration to fix (credentials, bucket), a server that did
not answer (run again later), or another store error, each said with what failed and what to do about it."""

from __future__ import annotations

from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from pipelines.store.base import StoreConfigError, StoreError, StoreUnavailableError


def s3_error(exc: Exception, where: str, *, bucket: str, endpoint: str) -> StoreError:
    """A StoreConfigError when the configuration is wrong (credentials, bucket), a StoreUnavailableError when S3
    did not answer, else a StoreError; `where` says what failed (`<uri>: cannot <action> <key>`)."""
    if isinstance(exc, NoCredentialsError):
        return StoreConfigError(
            f"{where}: no AWS credentials found — set them the standard AWS way "
            "(environment, profile, or instance role)"
        )
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code == "NoSuchBucket":
            return StoreConfigError(f"{where}: bucket {bucket!r} does not exist — create it or fix ARCHIVE_URI")
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
            return StoreConfigError(f"{where}: access denied ({code}) — check the AWS credentials and bucket policy")
        message = exc.response.get("Error", {}).get("Message", "")
        error_type = StoreUnavailableError if http_status(exc) >= 500 else StoreError
        return error_type(f"{where}: {code} {message}".rstrip())
    error_type = StoreUnavailableError if isinstance(exc, BotoConnectionError | HTTPClientError) else StoreError
    return error_type(f"{where}: {exc} (endpoint {endpoint}; check AWS_ENDPOINT_URL and the network)")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
