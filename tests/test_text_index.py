"""Near-duplicates across runs: a copy archived in a later run links to the earlier run's record."""

from pathlib import Path

from pipelines.dedup import DuplicateIndex
from pipelines.spool import Spool
from pipelines.storage import open_store
from pipelines.text_index import load_earlier_texts, save_run_texts
from tests.test_dedup import article, record


def test_second_run_links_to_first_runs_record(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    first = DuplicateIndex()
    first.link(record("a" * 40, article(1)))
    first.link(record("b" * 40, article(1)))  # a duplicate within the run: not an original, not saved
    with Spool(tmp_path / "spool1", store) as spool:
        stored = save_run_texts(first, spool, "20261121T050000Z-aaaa0000")
    assert stored is not None and stored.key == "state/texts/20261121T050000Z-aaaa0000.ndjson.gz"

    second = DuplicateIndex()
    assert load_earlier_texts(second, store) == 1
    copy = second.link(record("c" * 40, article(1) + " Copyright AFP."))
    assert copy["duplicate_of"] == "a" * 40
    assert second.link(record("d" * 40, article(9)))["duplicate_of"] is None
    with Spool(tmp_path / "spool2", store) as spool:
        save_run_texts(second, spool, "20261121T060000Z-bbbb0000")
    third = DuplicateIndex()
    assert load_earlier_texts(third, store) == 2  # a and d


def test_nothing_new_writes_nothing(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool", open_store(str(tmp_path / "archive"))) as spool:
        assert save_run_texts(DuplicateIndex(), spool, "x") is None


def test_a_corrupt_state_file_is_skipped(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "archive"))
    store.put_bytes("state/texts/broken.ndjson.gz", b"not gzip")
    assert load_earlier_texts(DuplicateIndex(), store) == 0
