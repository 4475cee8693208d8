"""The spool keeps every file until the store has it verified, and salvages what a killed run left."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.store.base import ObjectExistsError, ObjectStore, StoreError
from pipelines.store.factory import open_store
from pipelines.store.spool import Spool, archive_spool_root
from tests.s3_server import create_bucket, moto_s3_server

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return open_store(str(tmp_path / "archive"))
    return open_store(f"s3://{create_bucket(request.getfixturevalue('s3_endpoint'))}/arch")


@pytest.fixture
def spool(tmp_path: Path, store: ObjectStore) -> Iterator[Spool]:
    with Spool(tmp_path / "spool", store, backoff=0) as spool:
        yield spool


def write_complete(spool: Spool, key: str, data: bytes) -> Path:
    """What writers do: write `<path>.open`, rename when complete."""
    path = spool.path(key)
    partial = path.with_name(path.name + ".open")
    partial.write_bytes(data)
    partial.rename(path)
    return path


def spool_files(spool: Spool) -> list[str]:
    return sorted(p.relative_to(spool.root).as_posix() for p in spool.root.rglob("*") if not p.name.startswith("."))


def warc_members(count: int) -> tuple[bytes, list[int]]:
    """A gzipped WARC made by warcio, and the end offset of each record's gzip member."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    ends = []
    for i in range(count):
        body = f"<html><body>article {i} ".encode() + os.urandom(2000).hex().encode() + b"</body></html>"
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            f"http://news.example/{i}", "response", payload=io.BytesIO(body), http_headers=headers
        )
        writer.write_record(record)
        ends.append(buf.tell())
    return buf.getvalue(), ends


def test_upload_verifies_then_deletes(spool: Spool, store: ObjectStore) -> None:
    key = "warc/2024/05/01/NEWSARCHIVE-1-00001-host.warc.gz"
    data = os.urandom(4096)
    path = write_complete(spool, key, data)
    assert spool.pending() == [key]
    stored = spool.upload(key)
    assert (stored.key, stored.size) == (key, len(data))
    assert store.get(key) == data
    assert store.head(key) == stored
    assert not path.exists()
    assert spool_files(spool) == []  # empty parent dirs are gone too
    assert spool.pending() == []


def test_reupload_of_same_content_is_idempotent(spool: Spool, store: ObjectStore) -> None:
    store.put_bytes("runs/r.json", b"{}")
    write_complete(spool, "runs/r.json", b"{}")
    assert spool.upload("runs/r.json").size == 2
    assert spool.pending() == []


def test_conflicting_object_keeps_local_file(spool: Spool, store: ObjectStore) -> None:
    store.put_bytes("runs/r.json", b'{"a": 1}')
    path = write_complete(spool, "runs/r.json", b'{"a": 2}')
    with pytest.raises(ObjectExistsError, match="stays at"):
        spool.upload("runs/r.json")
    assert path.read_bytes() == b'{"a": 2}'
    assert spool.pending() == ["runs/r.json"]


def test_upload_of_missing_file_is_an_error(spool: Spool) -> None:
    with pytest.raises(StoreError, match="no complete file"):
        spool.upload("warc/none.warc.gz")


@pytest.mark.s3
@pytest.mark.usefixtures("s3_endpoint")
def test_stopped_server_keeps_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with moto_s3_server() as endpoint:
        store = open_store(f"s3://{create_bucket(endpoint)}/x")
    # the server is gone now, as if S3 went down in the middle of a crawl
    with Spool(tmp_path / "spool", store, attempts=2, backoff=0) as spool:
        path = write_complete(spool, "records/dt=2024-05-01/a.jsonl.gz", gzip.compress(b"{}\n"))
        with pytest.raises(StoreError, match=r"failed after 2 attempts.*stays at"):
            spool.upload("records/dt=2024-05-01/a.jsonl.gz")
        assert path.exists()
        assert spool.pending() == ["records/dt=2024-05-01/a.jsonl.gz"]
        assert spool.recover() == []  # recovery logs the failure and keeps the file too
        assert path.exists()


@pytest.mark.s3
def test_missing_bucket_keeps_file_until_it_exists(s3_endpoint: str, tmp_path: Path) -> None:
    bucket = f"later-{os.urandom(4).hex()}"
    with Spool(tmp_path / "spool", open_store(f"s3://{bucket}"), attempts=1) as spool:
        path = write_complete(spool, "runs/r.json", b"{}")
        with pytest.raises(StoreError, match="does not exist"):
            spool.upload("runs/r.json")
        assert path.exists()
        create_bucket(s3_endpoint, bucket)
        assert [obj.key for obj in spool.recover()] == ["runs/r.json"]
        assert not path.exists()


def test_recover_salvages_cut_warc_and_uploads(tmp_path: Path, store: ObjectStore) -> None:
    data, ends = warc_members(3)
    key = "warc/2024/05/01/NEWSARCHIVE-20240501000000-00001-host.warc.gz"
    with Spool(tmp_path / "spool", store, backoff=0) as killed:
        path = killed.path(key)
        cut = ends[1] + (ends[2] - ends[1]) // 2  # the third record's member is cut in half
        path.with_name(path.name + ".open").write_bytes(data[:cut])

    with Spool(tmp_path / "spool", store, backoff=0) as spool:  # the next run
        recovered = spool.recover()
        assert [obj.key for obj in recovered] == [key]
        assert recovered[0].size == ends[1]
        assert spool_files(spool) == []
    stored = store.get(key)
    assert stored == data[: ends[1]]
    records = list(ArchiveIterator(io.BytesIO(stored)))
    assert [r.rec_headers.get_header("WARC-Target-URI") for r in records] == [
        "http://news.example/0",
        "http://news.example/1",
    ]
    # every record is still a single gzip member a ranged read can fetch on its own
    second = store.get(key, start=ends[0], length=ends[1] - ends[0])
    assert next(iter(ArchiveIterator(io.BytesIO(second)))).rec_headers.get_header("WARC-Type") == "response"


def test_recover_handles_every_kind_of_leftover(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    root = tmp_path / "spool"
    lines = [b'{"id": "%d"}\n' % i for i in range(5)]
    members = [gzip.compress(line) for line in lines]
    leftovers = {
        "records/dt=2024-05-01/a.jsonl.gz.open": b"".join(members) + members[0][:7],  # cut member
        "state/texts/a.ndjson.open": b"".join(lines) + b'{"id": "pa',  # cut plain-text line
        "state/texts/b.ndjson.open": b"".join(members[:2]),  # gzipped lines, intact
        "warc/2024/05/01/c.cdxj.open": b"".join(lines),  # an index: rebuilt from its WARC, never salvaged
        "warc/2024/05/01/empty.warc.gz.open": b"",
        "warc/2024/05/01/garbage.warc.gz.open": b"\x1f\x8b\x08\x00 not really gzip",
        "warc/2024/05/01/done.warc.gz": b"".join(members),  # renamed but never uploaded
        "state/notes.json.open": b'{"half": ',  # unknown format: must be left alone
    }
    for name, content in leftovers.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)

    with Spool(root, store) as spool:
        uploaded = {obj.key: obj.size for obj in spool.recover()}
        assert spool_files(spool) == ["state", "state/notes.json.open"]
    assert uploaded == {
        "records/dt=2024-05-01/a.jsonl.gz": len(b"".join(members)),
        "state/texts/a.ndjson": len(b"".join(lines)),
        "state/texts/b.ndjson": len(b"".join(members[:2])),
        "warc/2024/05/01/done.warc.gz": len(b"".join(members)),
    }
    assert gzip.decompress(store.get("records/dt=2024-05-01/a.jsonl.gz")) == b"".join(lines)
    assert store.get("state/texts/a.ndjson") == b"".join(lines)
    assert store.head("warc/2024/05/01/c.cdxj") is None and not (root / "warc/2024/05/01/c.cdxj.open").exists()
    assert store.head("warc/2024/05/01/garbage.warc.gz") is None
    assert store.head("warc/2024/05/01/empty.warc.gz") is None


def test_recover_never_clobbers_a_finished_file(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    root = tmp_path / "spool"
    (root / "warc").mkdir(parents=True)
    finished = gzip.compress(b"finished")
    (root / "warc" / "x.warc.gz").write_bytes(finished)
    (root / "warc" / "x.warc.gz.open").write_bytes(gzip.compress(b"other"))
    with Spool(root, store) as spool:
        assert [o.key for o in spool.recover()] == ["warc/x.warc.gz"]
        assert (root / "warc" / "x.warc.gz.open").exists()
    assert store.get("warc/x.warc.gz") == finished


def test_concurrent_uploads_while_writing(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    errors: list[Exception] = []
    with Spool(tmp_path / "spool", store) as spool:

        def worker(n: int) -> None:
            try:
                for i in range(15):
                    key = f"warc/2024/05/01/{n}-{i}.warc.gz"  # all threads share one directory
                    write_complete(spool, key, gzip.compress(key.encode()))
                    spool.upload(key)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert spool.pending() == []
    assert len(list(store.list("warc/"))) == 90


def test_spool_refuses_another_archive(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool", open_store(str(tmp_path / "a"))):
        pass
    with pytest.raises(StoreError, match="holds files for"):
        Spool(tmp_path / "spool", open_store(str(tmp_path / "b")))


def test_spool_is_owned_by_one_process(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    code = (
        "import sys; from pathlib import Path; from pipelines.store.spool import Spool; "
        "from pipelines.store.base import StoreError; from pipelines.store.factory import open_store\n"
        "try:\n    Spool(Path(sys.argv[1]), open_store(sys.argv[2]))\n"
        "except StoreError as e:\n    print(e); sys.exit(3)\n"
    )
    argv = [sys.executable, "-c", code, str(tmp_path / "spool"), str(tmp_path / "archive")]
    with Spool(tmp_path / "spool", store), Spool(tmp_path / "spool", store):  # same process: shared
        other = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert other.returncode == 3, other.stderr
        assert "in use by another process" in other.stdout
    assert subprocess.run(argv, cwd=REPO, capture_output=True, timeout=60).returncode == 0


def test_archive_spool_root_is_one_folder_per_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spool = tmp_path / "spool"
    root = archive_spool_root(spool, "./archive")
    assert root.parent == spool
    assert archive_spool_root(spool, str(tmp_path / "archive")) == root  # same archive, other spelling
    assert archive_spool_root(spool, f"file://{tmp_path}/archive") == root
    assert archive_spool_root(spool, "s3://bucket/p") == archive_spool_root(spool, "s3://bucket/p/")
    assert archive_spool_root(spool, "s3://bucket/p") != archive_spool_root(spool, "s3://bucket/q") != root


def test_default_spool_dir_follows_xdg(tmp_path: Path) -> None:
    from settings.env import default_spool_dir

    home = tmp_path / "home"
    assert default_spool_dir({"HOME": str(home)}) == home / ".local" / "state" / "newsarchive" / "spool"
    relative = {"HOME": str(home), "XDG_STATE_HOME": "relative"}  # not absolute: ignored, as the XDG spec says
    assert default_spool_dir(relative) == home / ".local" / "state" / "newsarchive" / "spool"
    xdg = {"HOME": str(home), "XDG_STATE_HOME": str(tmp_path / "state")}
    assert default_spool_dir(xdg) == tmp_path / "state" / "newsarchive" / "spool"
