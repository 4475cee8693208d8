"""Which ObjectStore an ARCHIVE_URI names. Kept apart from the interface (pipelines.store.base) so code that
only reads through a store never imports the S3 adapter (boto3): import-linter's contracts check it."""

from __future__ import annotations

from pipelines.store.base import ObjectStore, StoreOptions, local_root, normalize_uri, parse_s3_uri


def open_store(uri: str, options: StoreOptions | None = None) -> ObjectStore:
    """The store for ARCHIVE_URI: a directory path / file:// URI → LocalStore, s3:// → S3Store."""
    normalized = normalize_uri(uri)
    if normalized.startswith("s3://"):
        from pipelines.store.s3 import S3Store  # boto3 is only imported when S3 is used

        bucket, prefix = parse_s3_uri(normalized)
        options = options or StoreOptions()
        return S3Store(bucket, prefix, multipart_threshold=options.s3_multipart_threshold,
                       part_size=options.s3_part_size)
    from pipelines.store.local import LocalStore

    return LocalStore(local_root(uri.strip()))
