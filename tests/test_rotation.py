"""WARC rotation through a whole crawl: one records file and one CDXJ per WARC, pointers exact across files."""

from pathlib import Path

from pipelines.layout import cdxj_key_for, records_key_for
from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents, jsonl_gz, library_index, record_at_pointer
from tests.conftest import run_cli


def test_small_max_size_rotates_and_every_pointer_still_resolves(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    result = run_cli("demo", env={"ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
                                  "NEWSARCHIVE_WARC_MAX_SIZE": "150000", "NEWSARCHIVE_WARC_INDEX_BATCH": "20000"})
    assert result.returncode == 0, result.stderr[-3000:]
    store = open_store(str(archive))
    contents = ArchiveContents.read(store)
    assert len(contents.warcs) >= 4, "the demo writes ~1 MB: a 150 kB cap must rotate"
    for key, records in contents.warcs.items():
        assert records[0].type == "warcinfo"
        assert key.removesuffix(".warc.gz") + ".cdxj" in contents.keys
        # built while the WARC was written (a batch per 20 kB), it is the indexer's own for the finished file
        assert (archive / cdxj_key_for(key)).read_bytes() == library_index(archive / key)
    records_keys = [k for k in contents.keys if k.startswith("records/")]
    assert len(contents.records) >= 10
    for key in records_keys:
        for record in jsonl_gz(store.get(key)):
            # a record lives in the records file of the WARC holding its capture
            assert records_key_for((record["warc"]["revisit"] or record["warc"])["key"]) == key
            assert record_at_pointer(store, record).uri == record["url"]
    (report,) = contents.reports
    assert {o["key"] for o in report["objects"]} == {k for k in contents.keys if not k.startswith("runs/")}
