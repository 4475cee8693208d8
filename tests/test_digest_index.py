"""The dedup index: same contract on SQLite and on a real (throwaway) Redis; entries travel via the archive."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.layout import digests_key
from pipelines.run.session import ArchiveSession
from pipelines.state.digests import (
    SQLITE_NAME,
    ArchivedPayload,
    DigestIndex,
    RedisDigestIndex,
    SqliteDigestIndex,
    encode_delta,
    open_digest_index,
    redis_namespace,
    sync,
)
from pipelines.store.factory import open_store
from pipelines.warc.records import Exchange, payload_digest, warc_date
from pipelines.warc.writer import CaptureRef, RotatingWarcWriter
from tests.redis_server import SHORT_IDLE, redis_server
from tests.test_revisits import crawl

URL = "http://news.example/2026/11/21/story.html"


def payload(url: str = URL, body: bytes = b"<html>story</html>", key: str = "warc/2026/11/21/A.warc.gz",
            offset: int = 100) -> ArchivedPayload:
    ref = CaptureRef(key=key, filename=key.rsplit("/", 1)[1], offset=offset, length=500,
                     record_id="<urn:uuid:00000000-0000-4000-8000-000000000001>",
                     payload_digest=payload_digest(body))
    return ArchivedPayload(url, "2026-11-21T05:00:00.000000Z", ref)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DigestIndex]:
    if request.param == "sqlite":
        opened: DigestIndex = open_digest_index(archive_uri=str(tmp_path / "archive"), spool_root=tmp_path)
    else:
        opened = open_digest_index(archive_uri=str(tmp_path / "archive"), spool_root=tmp_path,
                                   redis_url=request.getfixturevalue("redis_url"))
    yield opened
    opened.close()


def test_lookup_is_by_url_and_digest_and_the_first_entry_wins(index: DigestIndex) -> None:
    original = payload()
    assert index.lookup(URL, original.ref.payload_digest) is None
    index.add([original, payload(offset=999)])
    assert index.lookup(URL, original.ref.payload_digest) == original
    assert index.lookup(URL + "?other", original.ref.payload_digest) is None, "same bytes, other URL: no revisit"
    assert index.lookup(URL, payload_digest(b"changed")) is None


def test_deltas_are_marked_once_loaded(index: DigestIndex) -> None:
    assert not index.has_delta("state/digests/a.ndjson.gz")
    index.mark_delta("state/digests/a.ndjson.gz")
    assert index.has_delta("state/digests/a.ndjson.gz")


def test_backends_are_what_the_mode_says(tmp_path: Path, redis_url: str) -> None:
    local = open_digest_index(archive_uri=str(tmp_path / "a"), spool_root=tmp_path)
    shared = open_digest_index(archive_uri=str(tmp_path / "a"), spool_root=tmp_path, redis_url=redis_url)
    assert isinstance(local, SqliteDigestIndex) and isinstance(shared, RedisDigestIndex)
    assert shared.payloads.startswith(redis_namespace(f"file://{tmp_path}/a"))  # one namespace per archive
    assert redis_namespace(str(tmp_path / "a")) != redis_namespace(str(tmp_path / "b"))
    local.close()
    shared.close()


def test_sync_loads_each_run_file_once_and_skips_a_broken_one(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    store.put_bytes(digests_key("20261121T050000Z-aaaaaaaa"), encode_delta([payload()]))
    store.put_bytes(digests_key("20261121T060000Z-bbbbbbbb"), b"not gzip")
    index = SqliteDigestIndex(tmp_path / "index.sqlite")
    assert sync(index, store) == 1
    assert index.lookup(URL, payload().ref.payload_digest) == payload()
    assert sync(index, store) == 0, "loaded files are not read again; the broken one is retried, still broken"
    assert not index.has_delta(digests_key("20261121T060000Z-bbbbbbbb"))
    index.close()


def test_a_payload_becomes_a_dedup_target_only_after_its_warc_is_uploaded(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    session = ArchiveSession(str(archive), spool_root=tmp_path / "spool", crawl_id="20261121T050000Z-cccccccc")
    writer = RotatingWarcWriter(session.spool_root, host="test", max_size=10**9, warcinfo={"software": "test"},
                                on_close=session.warc_closed)
    session.use_warc_writer(writer)
    exchange = Exchange(url=URL, method="GET", request_headers=[], request_body=b"", status=200,
                        response_headers=[(b"Content-Type", b"text/html")], body=b"<html>story</html>",
                        protocol="HTTP/1.1", ip_address="127.0.0.1", date=datetime.now(UTC))
    ref = writer.write_exchange(exchange)
    session.payload_written(ArchivedPayload(URL, warc_date(exchange.date), ref))
    assert session.archived_payload(URL, ref.payload_digest) is None, "its WARC is not uploaded yet"
    report = session.finish("finished", stats={}, sites=[])
    assert (archive / ref.key).is_file()
    assert digests_key(session.crawl_id) in {o["key"] for o in report["objects"]}
    reopened = SqliteDigestIndex(session.spool_root / ".digests.sqlite")
    found = reopened.lookup(URL, ref.payload_digest)
    assert found is not None and found.ref == ref
    reopened.close()
    session.spool.close()


def test_a_crawl_with_redis_url_keeps_the_index_in_redis(demo_site: str, redis_url: str, tmp_path: Path) -> None:
    import redis

    report = crawl(demo_site, tmp_path, "spool", {"REDIS_URL": redis_url, **SHORT_IDLE})
    shared = RedisDigestIndex(redis.Redis.from_url(redis_url), redis_namespace(str(tmp_path / "archive")))
    assert shared.client.hlen(shared.payloads) >= report["counts"]["responses"] // 2
    assert not list((tmp_path / "spool").rglob(SQLITE_NAME)), "no local index in distributed mode"
    shared.close()
