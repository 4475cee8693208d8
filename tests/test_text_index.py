"""Near-duplicates across runs: a copy archived in a later run links to the earlier run's record."""

from pathlib import Path

from pipelines.state.dedup import DuplicateIndex
from pipelines.state.texts import load_earlier_texts, write_run_texts
from pipelines.store.factory import open_store
from pipelines.store.spool import Spool
from tests.test_dedup import article, record


def test_second_run_links_to_first_runs_record(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    first = DuplicateIndex()
    first.link(record("a" * 40, article(1)))
    first.link(record("b" * 40, article(1)))  # a duplicate within the run: not an original, not saved
    with Spool(tmp_path / "spool1", store) as spool:
        key = write_run_texts(first, spool, "20261121T050000Z-aaaa0000")
        assert key == "state/texts/20261121T050000Z-aaaa0000.ndjson.gz"
        spool.upload(key)

    second = DuplicateIndex()
    assert load_earlier_texts(second, store) == 1
    copy = second.link(record("c" * 40, article(1) + " Copyright AFP."))
    assert copy["duplicate_of"] == "a" * 40
    assert second.link(record("d" * 40, article(9)))["duplicate_of"] is None
    with Spool(tmp_path / "spool2", store) as spool:
        spool.upload(write_run_texts(second, spool, "20261121T060000Z-bbbb0000") or "")
    third = DuplicateIndex()
    assert load_earlier_texts(third, store) == 2  # a and d


def test_nothing_new_writes_nothing(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool", open_store(str(tmp_path / "archive"))) as spool:
        assert write_run_texts(DuplicateIndex(), spool, "x") is None


def test_a_corrupt_state_file_is_skipped(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    store.put_bytes("state/texts/broken.ndjson.gz", b"not gzip")
    assert load_earlier_texts(DuplicateIndex(), store) == 0


def test_an_unreachable_archive_costs_links_not_the_crawl() -> None:
    from pipelines.store.factory import open_store as open_s3
    from tests.s3_server import moto_s3_server

    with moto_s3_server():
        assert load_earlier_texts(DuplicateIndex(), open_s3("s3://no-such-bucket-here/x")) == 0
