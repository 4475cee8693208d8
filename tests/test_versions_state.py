"""What the crawl state keeps for versions (SQLite and a real Redis), how it merges across machines, when a
revisit is due, and how a bad schedule is refused (sites file and NEWSARCHIVE_REVISIT)."""

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.config import ConfigError, load_settings, revisit_schedule
from crawler.sites import SitesConfigError, parse_sites
from crawler.spiders.policy import BackfillPolicy, IncrementalPolicy
from pipelines.days import DayRange
from pipelines.state.seen import SeenStore, remember_records_file
from pipelines.state.seen_redis import RedisSeenStore
from pipelines.state.seen_sqlite import SqliteSeenStore
from pipelines.state.sync import StateSync
from pipelines.state.versions import ArticleVersion, PageFetch
from pipelines.store.factory import open_store
from pipelines.store.spool import Spool
from tests.redis_server import redis_server

URL = "https://herald.example/2024/05/17/rates"
TEXT = "Rates rose by a quarter point.\n\nBanks followed within the hour. " * 50


def version(n: int, at: str, text: str = TEXT) -> ArticleVersion:
    return ArticleVersion(id="a" * 40, version=n, url=URL, site="herald", capture_id=f"{n:08d}-0000-0000-0000-"
                          "000000000000", fetched_at=at, title=f"Rates, take {n}", text=text)


def exercise(store: SeenStore) -> None:
    assert store.latest_version("a" * 40) is None and store.tracked("herald", "2024-05-17T00:00:00Z") == []
    store.save_version(version(1, "2024-05-17T10:00:00Z"))
    store.save_version(version(2, "2024-05-17T11:00:00Z", TEXT + "\n\nCorrection: a half point."))
    store.save_version(version(1, "2024-05-17T10:00:00Z"))  # a recovery saving it again
    latest = store.latest_version("a" * 40)
    assert latest is not None and latest.version == 2 and latest.text.endswith("a half point.")
    store.save_fetch(PageFetch(URL + "?utm_source=feed", "2024-05-17T11:00:00Z", '"e1"', None))
    store.save_fetch(PageFetch(URL, "2024-05-17T12:00:00Z", '"e2"', "Fri, 17 May 2024 12:00:00 GMT"))
    (tracked,) = store.tracked("herald", "2024-05-17T09:00:00Z")
    assert tracked.latest.version == 2 and tracked.first_archived == datetime(2024, 5, 17, 10, tzinfo=UTC)
    fetch = tracked.last_fetch
    assert fetch is not None and (fetch.etag, fetch.last_modified) == ('"e2"', "Fri, 17 May 2024 12:00:00 GMT")
    assert tracked.last_fetched == datetime(2024, 5, 17, 12, tzinfo=UTC)
    assert store.tracked("herald", "2024-05-17T10:00:01Z") == [], "first archived before the window"
    assert store.tracked("other", "2024-05-17T09:00:00Z") == []


def test_sqlite_state(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    exercise(store)
    store.close()


def test_redis_state(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        exercise(RedisSeenStore.from_url(url, "newsarchive:a:"))
        assert RedisSeenStore.from_url(url, "newsarchive:b:").latest_version("a" * 40) is None


def test_versions_travel_with_the_state_snapshots(tmp_path: Path) -> None:
    """Rows only grow, so the union merge of two machines' snapshots keeps the newest version and fetch."""
    archive = open_store(str(tmp_path / "archive"))
    one = SqliteSeenStore(tmp_path / "one" / "seen.sqlite")
    one.save_version(version(1, "2024-05-17T10:00:00Z"))
    spool = Spool(tmp_path / "one" / "spool", archive)
    spool.upload(StateSync(archive, one.path).snapshot(spool, "20240517T100000Z-aaaaaaaa"))
    two = SqliteSeenStore(tmp_path / "two" / "seen.sqlite")
    two_sync = StateSync(archive, two.path)
    two_sync.pull()
    two.save_version(version(2, "2024-05-17T11:00:00Z"))
    two.save_fetch(PageFetch(URL, "2024-05-17T11:00:00Z", '"e2"'))
    spool_two = Spool(tmp_path / "two" / "spool", archive)
    spool_two.upload(two_sync.snapshot(spool_two, "20240517T110000Z-bbbbbbbb"))
    StateSync(archive, one.path).pull()
    latest = one.latest_version("a" * 40)
    assert latest is not None and latest.version == 2
    (tracked,) = one.tracked("herald", "2024-05-17T00:00:00Z")
    assert tracked.first_archived == datetime(2024, 5, 17, 10, tzinfo=UTC) and tracked.last_fetch is not None


def test_revisits_decay_and_catch_up_once() -> None:
    policy, first = IncrementalPolicy(), datetime(2024, 5, 17, 10, tzinfo=UTC)
    schedule = tuple(timedelta(hours=h) for h in (1, 6, 24, 72))
    hours = [first + timedelta(hours=h) for h in range(0, 80)]
    fetched, last = [], first
    for now in hours:
        if policy.revisit_due(schedule, first, last, now):
            fetched.append((now - first) // timedelta(hours=1))
            last = now
    assert fetched == [1, 6, 24, 72], "hourly crawls fetch it once per point, then never again"
    late = first + timedelta(hours=30)  # a crawl that missed 1h, 6h and 24h
    assert policy.revisit_due(schedule, first, first, late)
    assert not policy.revisit_due(schedule, first, late, late + timedelta(hours=1)), "caught up in one fetch"
    assert not BackfillPolicy(DayRange(None, None)).revisit_due(schedule, first, first, late)


@pytest.mark.parametrize(("value", "message"), [
    (["1h", "1w"], "bad duration '1w' — expected a whole number and a unit, like 30s, 15m, 1h or 2d"),
    (["6h", "1h"], "durations must grow"),
    ("1h", "expected a list of durations"),
    ([True], "bad duration True"),
    (["1h", "99999999d"], "bad duration '99999999d' — at most 36500d (a hundred years)"),
    (["9" * 30 + "d"], f"bad duration '{'9' * 30}d' — expected a whole number and a unit"),
])
def test_a_bad_revisit_key_names_the_file_site_and_key(value: object, message: str) -> None:
    with pytest.raises(SitesConfigError) as info:
        parse_sites({"sites": [{"name": "herald", "homepage": "https://herald.example/", "revisit": value}]},
                    source="sites.yaml")
    text = str(info.value)
    assert text.startswith("sites.yaml: site 'herald': key 'revisit': ") and message in text
    assert "\n" not in text


def test_revisit_key_and_default() -> None:
    [on, off, default] = parse_sites({"sites": [
        {"name": "a", "homepage": "https://a.example/", "revisit": ["30s", "15m", "2d"]},
        {"name": "b", "homepage": "https://b.example/", "revisit": []},
        {"name": "c", "homepage": "https://c.example/"},
    ]})
    assert on.revisit == (timedelta(seconds=30), timedelta(minutes=15), timedelta(days=2))
    assert off.revisit == () and default.revisit is None
    assert revisit_schedule(load_settings(environ={})) == (), "off by default"
    assert revisit_schedule(load_settings(environ={"NEWSARCHIVE_REVISIT": '["1h", "24h"]'}))[-1] == timedelta(days=1)
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"NEWSARCHIVE_REVISIT": '["1h", "soon"]'})
    assert info.value.problems == ["NEWSARCHIVE_REVISIT: bad duration 'soon' — expected a whole number and a unit, "
                                   "like 30s, 15m, 1h or 2d"]


def test_a_killed_run_s_records_reach_the_versions_state_at_recovery(tmp_path: Path) -> None:
    """Recovery reads a leftover records file into the state, versions included, so the next revisit compares
    with the version that run wrote (not the one before it, which would make a second "version 2")."""
    lines = [{"id": "b" * 40, "version": 2, "url": URL, "requested_url": URL, "canonical_url": URL, "site": "herald",
              "capture_id": "00000002-0000-0000-0000-000000000000", "fetched_at": "2024-05-17T11:00:00Z",
              "title": "Rates, corrected", "text": TEXT}]
    path = tmp_path / "left.jsonl.gz"
    with path.open("wb") as out:
        for line in lines:
            out.write(gzip.compress((json.dumps(line) + "\n").encode()))
    out_of_run = SqliteSeenStore(tmp_path / "seen.sqlite")
    assert remember_records_file(out_of_run, path) == 1
    latest = out_of_run.latest_version("b" * 40)
    assert latest is not None and (latest.version, latest.title) == (2, "Rates, corrected") and out_of_run.seen(URL)
