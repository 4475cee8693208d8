"""Both object stores pass the same behaviour tests: local directory and S3 (moto over HTTP)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from pipelines.store.base import (
    ObjectExistsError,
    ObjectNotFoundError,
    ObjectStore,
    StoreConfigError,
    StoredObject,
    StoreError,
    StoreOptions,
)
from pipelines.store.factory import open_store
from pipelines.store.local import LocalStore
from pipelines.store.s3 import MIN_PART_SIZE, S3Store
from tests.s3_server import create_bucket, moto_s3_server


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """A fresh, empty store; S3 switches to multipart at S3's smallest part size (5 MiB)."""
    if request.param == "local":
        return open_store(str(tmp_path / "archive"))
    endpoint = request.getfixturevalue("s3_endpoint")
    options = StoreOptions(s3_multipart_threshold=MIN_PART_SIZE, s3_part_size=MIN_PART_SIZE)
    return open_store(f"s3://{create_bucket(endpoint)}/archive/test", options)


def write(path: Path, data: bytes) -> tuple[Path, str]:
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_put_file_then_head_get_list(store: ObjectStore, tmp_path: Path) -> None:
    data = b"0123456789" * 100
    path, sha = write(tmp_path / "f.warc.gz", data)
    stored = store.put_file("warc/2024/05/01/a.warc.gz", path, sha256=sha)
    assert stored == StoredObject("warc/2024/05/01/a.warc.gz", len(data), sha)
    assert store.head("warc/2024/05/01/a.warc.gz") == stored
    assert store.get("warc/2024/05/01/a.warc.gz") == data
    assert [obj.key for obj in store.list()] == ["warc/2024/05/01/a.warc.gz"]
    assert path.read_bytes() == data  # the store copies; the spool decides when to delete


def test_ranged_get(store: ObjectStore) -> None:
    data = bytes(range(256))
    store.put_bytes("blob", data)
    assert store.get("blob", start=10, length=5) == data[10:15]
    assert store.get("blob", start=250) == data[250:]
    assert store.get("blob", length=3) == data[:3]
    assert store.get("blob", start=250, length=100) == data[250:]
    assert store.get("blob", start=5, length=0) == b""
    assert store.get("blob", start=1000) == b""
    with pytest.raises(ValueError):
        store.get("blob", start=-1)


def test_missing_objects(store: ObjectStore) -> None:
    assert store.head("nope/x.json") is None
    with pytest.raises(ObjectNotFoundError, match=r"nope/x\.json"):
        store.get("nope/x.json")
    assert list(store.list()) == []


def test_put_bytes_is_write_once_and_idempotent(store: ObjectStore) -> None:
    first = store.put_bytes("runs/r1.json", b'{"ok": true}')
    assert first.sha256 == hashlib.sha256(b'{"ok": true}').hexdigest()
    assert store.put_bytes("runs/r1.json", b'{"ok": true}') == first  # a retry is harmless
    with pytest.raises(ObjectExistsError, match=r"runs/r1\.json"):
        store.put_bytes("runs/r1.json", b'{"ok": false}')
    with pytest.raises(ObjectExistsError):
        store.put_bytes("runs/r1.json", b'{"ok": TRUE}')  # same size, different bytes
    assert store.get("runs/r1.json") == b'{"ok": true}'


def test_put_file_is_write_once_and_idempotent(store: ObjectStore, tmp_path: Path) -> None:
    path, sha = write(tmp_path / "a", b"A" * 1000)
    first = store.put_file("warc/a.warc.gz", path, sha256=sha)
    assert store.put_file("warc/a.warc.gz", path, sha256=sha) == first
    other, other_sha = write(tmp_path / "b", b"B" * 1000)  # same size, different content
    with pytest.raises(ObjectExistsError, match=r"warc/a\.warc\.gz"):
        store.put_file("warc/a.warc.gz", other, sha256=other_sha)
    assert store.get("warc/a.warc.gz") == b"A" * 1000


def test_list_is_sorted_and_filtered_by_prefix(store: ObjectStore) -> None:
    for key in ["records/dt=2024-05-02/b.jsonl.gz", "warc/2024/05/02/z", "warc/2024/05/01/y", "runs/1.json"]:
        store.put_bytes(key, key.encode())
    assert [o.key for o in store.list()] == [
        "records/dt=2024-05-02/b.jsonl.gz",
        "runs/1.json",
        "warc/2024/05/01/y",
        "warc/2024/05/02/z",
    ]
    assert [o.key for o in store.list("warc/2024/05/0")] == ["warc/2024/05/01/y", "warc/2024/05/02/z"]
    assert [(o.key, o.size) for o in store.list("runs/")] == [("runs/1.json", len(b"runs/1.json"))]
    assert list(store.list("nothing/")) == []


def test_large_file_roundtrip_and_retry(store: ObjectStore, tmp_path: Path) -> None:
    """On S3 this takes the multipart path (3 parts); retries and conflicts behave the same."""
    data = os.urandom(2 * MIN_PART_SIZE + 12345)
    path, sha = write(tmp_path / "big.warc.gz", data)
    stored = store.put_file("warc/big.warc.gz", path, sha256=sha)
    assert stored == StoredObject("warc/big.warc.gz", len(data), sha)
    assert store.head("warc/big.warc.gz") == stored
    boundary = MIN_PART_SIZE - 10
    assert store.get("warc/big.warc.gz", start=boundary, length=20) == data[boundary : boundary + 20]
    assert store.put_file("warc/big.warc.gz", path, sha256=sha) == stored
    changed, changed_sha = write(tmp_path / "changed", data[:-1] + b"!")
    with pytest.raises(ObjectExistsError):
        store.put_file("warc/big.warc.gz", changed, sha256=changed_sha)


@pytest.mark.s3
def test_s3_large_file_is_multipart_with_sha256_metadata(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = create_bucket(s3_endpoint)
    store = S3Store(bucket, "p/", multipart_threshold=MIN_PART_SIZE, part_size=MIN_PART_SIZE)
    data = os.urandom(MIN_PART_SIZE + 1)
    path, sha = write(tmp_path / "big", data)
    store.put_file("big", path, sha256=sha)
    small = store.put_bytes("small", b"x")
    raw = boto3.client("s3", endpoint_url=s3_endpoint)
    big_head = raw.head_object(Bucket=bucket, Key="p/big")
    assert big_head["ETag"].strip('"').endswith("-2")
    assert big_head["Metadata"] == {"sha256": sha}
    assert raw.head_object(Bucket=bucket, Key="p/small")["Metadata"] == {"sha256": small.sha256}
    assert raw.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.parametrize("backend", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_file_that_does_not_match_its_sha256_is_refused(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Local copies and multipart uploads hash what they send (single S3 PUTs leave it to the server)."""
    if backend == "local":
        store: ObjectStore = LocalStore(tmp_path / "archive")
    else:
        bucket = create_bucket(request.getfixturevalue("s3_endpoint"))
        store = S3Store(bucket, "", multipart_threshold=MIN_PART_SIZE, part_size=MIN_PART_SIZE)
    path, _ = write(tmp_path / "f", b"z" * MIN_PART_SIZE)
    with pytest.raises(StoreError, match="sha256"):
        store.put_file("k", path, sha256="0" * 64)
    assert store.head("k") is None


def test_concurrent_identical_puts_both_succeed(store: ObjectStore) -> None:
    results: list[StoredObject] = []
    errors: list[Exception] = []

    def put() -> None:
        try:
            results.append(store.put_bytes("state/same", b"same bytes"))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", "a/./b", "dir/", "x.newsarchive-tmp"])
def test_bad_keys_are_rejected(store: ObjectStore, key: str) -> None:
    with pytest.raises(StoreError, match="invalid object key"):
        store.put_bytes(key, b"x")


def test_local_temp_files_never_show_as_objects(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes("a/b", b"1")
    (tmp_path / "a" / ".b.123.newsarchive-tmp").write_bytes(b"partial")
    assert [o.key for o in store.list()] == ["a/b"]


@pytest.mark.parametrize(
    ("uri", "root"),
    [("archive", "archive"), ("./archive", "archive"), ("file:///tmp/x/arch", "/tmp/x/arch")],
)
def test_open_store_local_uris(uri: str, root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store(uri)
    assert isinstance(store, LocalStore)
    assert store.root == (tmp_path / root if not root.startswith("/") else Path(root))
    assert store.uri == store.root.as_uri()
    assert not store.root.exists()  # created on demand, by the first write


def test_open_store_local_creates_dir_on_first_write(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "deep" / "archive"))
    store.put_bytes("runs/x.json", b"{}")
    assert (tmp_path / "deep" / "archive" / "runs" / "x.json").read_bytes() == b"{}"


@pytest.mark.s3
@pytest.mark.usefixtures("s3_endpoint")
@pytest.mark.parametrize(
    ("uri", "prefix"), [("s3://bucket-a", ""), ("s3://bucket-a/", ""), ("s3://bucket-a//x/y/", "x/y/")]
)
def test_open_store_s3_uris(uri: str, prefix: str) -> None:
    store = open_store(uri)
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == ("bucket-a", prefix)
    assert store.uri == f"s3://bucket-a/{prefix}".rstrip("/")


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "   ",
        "s3://",
        "s3:///prefix",
        "s3:bucket",
        "s3://Bad_Bucket/x",
        "s3://b/x?y=1",
        "http://host/x",
        "gs://bucket/x",
        "file://host/x",
        "s3://bucket/a/../b",
    ],
)
def test_open_store_rejects_bad_uris(uri: str) -> None:
    with pytest.raises(StoreConfigError, match="ARCHIVE_URI"):
        open_store(uri)


def test_uri_errors_never_show_credentials() -> None:
    with pytest.raises(StoreConfigError, match="credential chain") as caught:
        open_store("s3://AKIAEXAMPLE:secret@bucket/x")
    assert "secret" not in str(caught.value) and "AKIAEXAMPLE" not in str(caught.value)


def test_open_store_rejects_a_file_as_archive_dir(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreConfigError, match="not a directory"):
        open_store(str(tmp_path / "f"))


@pytest.mark.s3
def test_s3_missing_bucket_says_so(s3_endpoint: str, tmp_path: Path) -> None:
    store = open_store("s3://no-such-bucket-here/x")
    with pytest.raises(StoreError, match="does not exist"):
        store.put_bytes("k", b"1")


@pytest.mark.s3
def test_s3_object_without_our_checksums_is_compared_by_content(s3_endpoint: str, tmp_path: Path) -> None:
    """An object another tool wrote (no SHA-256 anywhere) is read back and hashed, not trusted blindly."""
    bucket = create_bucket(s3_endpoint)
    boto3.client("s3", endpoint_url=s3_endpoint).put_object(Bucket=bucket, Key="warc/x", Body=b"same")
    store = open_store(f"s3://{bucket}")
    assert store.head("warc/x") == StoredObject("warc/x", 4, None)
    path, sha = write(tmp_path / "x", b"same")
    assert store.put_file("warc/x", path, sha256=sha) == StoredObject("warc/x", 4, sha)
    other, other_sha = write(tmp_path / "y", b"diff")
    with pytest.raises(ObjectExistsError):
        store.put_file("warc/x", other, sha256=other_sha)
