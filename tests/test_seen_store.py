"""The seen-store (SQLite and Redis) and its write-once versions in the archive's state/."""

import gzip
import sqlite3
import time
from pathlib import Path

import pytest

from pipelines.state.seen import Validators, seen_key
from pipelines.state.seen_redis import RedisSeenStore
from pipelines.state.seen_sqlite import SqliteSeenStore
from pipelines.state.sync import StateError, StateSync
from pipelines.store.base import StoreUnavailableError
from pipelines.store.factory import open_store
from pipelines.store.spool import Spool
from tests.redis_server import redis_server

ARTICLE = "https://herald.example/2024/05/17/rates"


def test_keys_are_canonical_urls() -> None:
    assert seen_key("HTTPS://Herald.example:443/2024/05/17/rates?utm_source=x#top") == ARTICLE
    assert seen_key("https://herald.example/2024/05/17/rates;jsessionid=ABC?sid=9") == ARTICLE


def exercise(store: SqliteSeenStore | RedisSeenStore) -> None:
    assert not store.seen(ARTICLE)
    store.add(ARTICLE + "?utm_campaign=feed", "herald")
    assert store.seen(ARTICLE) and store.seen(ARTICLE + "?fbclid=1")
    assert store.validators("https://herald.example/feed.xml") == Validators()
    store.save_validators("https://herald.example/feed.xml", Validators(etag='"v1"', last_modified="Fri, 17 May"))
    store.save_validators("https://herald.example/feed.xml", Validators(etag='"v2"'))
    assert store.validators("https://herald.example/feed.xml") == Validators(etag='"v2"', last_modified="Fri, 17 May")


def test_sqlite_store(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    exercise(store)
    store.close()
    assert SqliteSeenStore(tmp_path / "seen.sqlite").seen(ARTICLE), "close commits the marks"


def committed(path: Path) -> set[str]:
    """What another reader of the file sees (what a kill would leave)."""
    with sqlite3.connect(path) as db:
        return {url for (url,) in db.execute("SELECT url FROM seen")}


def test_sqlite_marks_are_written_in_batches_and_seen_at_once(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path, batch_size=3, batch_seconds=3600)
    store.add(ARTICLE, "herald")
    store.add(ARTICLE + "-2", "herald")
    assert store.seen(ARTICLE) and store.seen(ARTICLE + "-2?utm_source=x"), "a waiting mark is seen"
    assert committed(path) == set(), "not committed one by one"
    store.add(ARTICLE + "-3", "herald")
    assert committed(path) == {ARTICLE, ARTICLE + "-2", ARTICLE + "-3"}, "the batch of 3 in one transaction"
    store.add(ARTICLE + "-4", "herald")
    assert store.seen(ARTICLE + "-4") and ARTICLE + "-4" not in committed(path)
    store.close()
    assert ARTICLE + "-4" in committed(path), "close commits what waits"


def test_sqlite_batch_is_committed_after_batch_seconds(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path, batch_size=1000, batch_seconds=0.05)
    store.add(ARTICLE, "herald")
    time.sleep(0.1)
    store.add(ARTICLE + "-2", "herald")
    assert committed(path) == {ARTICLE, ARTICLE + "-2"}
    store.close()


def test_redis_store_keeps_archives_apart(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        exercise(RedisSeenStore.from_url(url, "newsarchive:a:"))
        assert not RedisSeenStore.from_url(url, "newsarchive:b:").seen(ARTICLE)


def test_unreachable_redis_fails_at_once(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        port = url.rsplit(":", 1)[1].split("/")[0]
    with pytest.raises(StoreUnavailableError, match=f"REDIS_URL redis://127.0.0.1:{port}/0: cannot reach Redis"):
        RedisSeenStore.from_url(f"redis://127.0.0.1:{port}/0", "newsarchive:a:")  # the server is gone


def machine(tmp_path: Path, name: str, archive: str) -> tuple[SqliteSeenStore, StateSync, Spool]:
    """One machine's local working file, sync and spool against a shared archive (the sync reads the file:
    marks are committed at once)."""
    local = tmp_path / name / "seen.sqlite"
    store = SqliteSeenStore(local, batch_size=1)
    store_ = open_store(archive)
    return store, StateSync(store_, local), Spool(tmp_path / name / "spool", store_)


def test_versions_are_write_once_and_merged_as_a_union(tmp_path: Path) -> None:
    archive = str(tmp_path / "archive")
    one, sync_one, spool_one = machine(tmp_path, "one", archive)
    two, sync_two, spool_two = machine(tmp_path, "two", archive)
    assert sync_one.pull() == [] and sync_two.pull() == []  # empty archive
    one.add("https://herald.example/a", "herald")
    two.add("https://herald.example/b", "herald")  # two runs at the same time
    first = spool_one.upload(sync_one.snapshot(spool_one, "20240517T100000Z-aaaaaaaa"))
    second = spool_two.upload(sync_two.snapshot(spool_two, "20240517T100500Z-bbbbbbbb"))  # merges `first` first
    assert first.key == "state/seen/20240517T100000Z-aaaaaaaa.sqlite.gz"
    assert [o.key for o in open_store(archive).list("state/seen/")] == [first.key, second.key]

    fresh, sync_fresh, _ = machine(tmp_path, "fresh", archive)
    assert sync_fresh.pull() == [second.key], "a fresh machine needs the newest version only"
    assert fresh.seen("https://herald.example/a") and fresh.seen("https://herald.example/b")
    assert sync_one.pull() == [second.key] and one.seen("https://herald.example/b")
    assert sync_one.pull() == [], "nothing new"


def test_a_fresh_file_takes_the_newest_readable_version(tmp_path: Path) -> None:
    archive = str(tmp_path / "archive")
    one, sync_one, spool_one = machine(tmp_path, "one", archive)
    one.add(ARTICLE, "herald")
    good = spool_one.upload(sync_one.snapshot(spool_one, "20240517T100000Z-aaaaaaaa")).key
    broken = "state/seen/20240518T100000Z-bbbbbbbb.sqlite.gz"
    open_store(archive).put_bytes(broken, b"not gzip")
    fresh, sync_fresh, _ = machine(tmp_path, "fresh", archive)
    assert sync_fresh.pull() == [good] and fresh.seen(ARTICLE)
    assert sync_one.pull() == [broken], "a file holding earlier versions skips the unreadable one"


def test_no_readable_version_stops_instead_of_starting_empty(tmp_path: Path) -> None:
    """A crawl without its state would fetch every archived article again."""
    archive = str(tmp_path / "archive")
    open_store(archive).put_bytes("state/seen/20240517T100000Z-aaaaaaaa.sqlite.gz", b"not gzip")
    open_store(archive).put_bytes("state/seen/20240518T100000Z-bbbbbbbb.sqlite.gz", gzip.compress(b"x"))
    _, sync, _ = machine(tmp_path, "one", archive)
    for _attempt in range(2):  # not marked as merged: the next run refuses as well
        with pytest.raises(StateError, match="no readable version of the crawl state"):
            sync.pull()
