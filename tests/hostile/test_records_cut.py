"""A long run's records reach the archive as it goes: a WARC's records file is finished and uploaded, right after
its WARC, once no capture of that WARC is still on its way through the crawl (pipelines.records.files), not at the
end of the run; and a kill -9 after such uploads still refetches no recorded article and duplicates no record."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

from pipelines.layout import records_key_for
from tests.hostile.archive_runs import Archive, rerun_salvages, wait_for
from tests.hostile.outputs import read_jsonl_gz
from tests.hostile.slow_site import SlowSite

SMALL_WARC = "8000"  # bytes: a WARC every few articles


def archived_records_files(archive: Archive) -> list[Path]:
    return sorted((archive.root / "archive" / "records").rglob("*.jsonl.gz"))


def prepare(archive: Archive, site: SlowSite) -> None:
    site.articles, site.delay, site.hold_from, site.hold_seconds = 24, 0.05, 16, 60.0
    archive.env |= {"NEWSARCHIVE_WARC_MAX_SIZE": SMALL_WARC}


def test_records_files_reach_the_archive_while_the_crawl_runs(archive: Archive, slow_site: SlowSite) -> None:
    prepare(archive, slow_site)
    crawl = archive.start()
    try:
        # From article 16 on the server holds every answer: the crawl is still running, its last WARC open.
        wait_for(lambda: slow_site.held.is_set() and len(archived_records_files(archive)) >= 2)
        assert crawl.process.poll() is None
        for path in archived_records_files(archive):
            warc_key = path.relative_to(archive.root / "archive").as_posix()
            for record in read_jsonl_gz(path):  # complete, and after the WARC it points into
                pointed = str((record["warc"]["revisit"] or record["warc"])["key"])  # type: ignore[index]
                assert records_key_for(pointed) == warc_key
                assert (archive.root / "archive" / pointed).is_file()
        slow_site.released.set()
        assert crawl.wait(60) == 0, crawl.output()[-2500:]
    finally:
        slow_site.released.set()
        crawl.stop()
    records = archive.records()
    assert sorted(str(r["url"]) for r in records) == sorted(slow_site.article_urls())  # each once
    assert not archive.spool_warcs() and not archive.open_files()


def test_kill_9_after_records_files_went_up_refetches_no_recorded_article(archive: Archive,
                                                                          slow_site: SlowSite) -> None:
    prepare(archive, slow_site)
    crawl = archive.start()
    try:
        wait_for(lambda: slow_site.held.is_set() and len(archived_records_files(archive)) >= 2)
        os.killpg(crawl.process.pid, signal.SIGKILL)
        crawl.wait(10)
    finally:
        slow_site.released.set()
        crawl.stop()
    killed_at = time.time()
    recorded_before = {str(r["url"]) for r in archive.records()}
    assert recorded_before, "no records file reached the archive before the kill"
    rerun_salvages(archive)
    assert not recorded_before & set(slow_site.fetched(since=killed_at))
    ids = Counter(str(r["id"]) for r in archive.records())
    assert [i for i, n in ids.items() if n > 1] == []


class Holder:
    """Stands for the crawl's request of a capture: the records file of its WARC waits as long as it lives."""


def test_a_records_file_waits_for_its_captures_and_a_late_record_is_not_lost(tmp_path: Path) -> None:
    import gc
    from datetime import UTC, datetime

    from pipelines.extract.article import empty_result
    from pipelines.records.build import build_record
    from pipelines.run.session import ArchiveSession
    from pipelines.warc.records import Exchange
    from pipelines.warc.writer import RotatingWarcWriter
    from tests.test_records import capture

    archive = tmp_path / "archive"
    session = ArchiveSession(str(archive), spool_root=tmp_path / "spool", crawl_id="20261121T050000Z-cccccccc",
                             index_batch=0)
    writer = RotatingWarcWriter(session.spool_root, host="test", max_size=10**9, warcinfo={"software": "test"},
                                on_close=session.warc_closed)
    session.use_warc_writer(writer)

    def captured(url: str, holder: Holder) -> dict[str, object]:
        exchange = Exchange(url=url, method="GET", request_headers=[], request_body=b"", status=200,
                            response_headers=[(b"Content-Type", b"text/html")], body=b"<html>story</html>",
                            protocol="HTTP/1.1", ip_address="127.0.0.1", date=datetime.now(UTC))
        ref = writer.write_exchange(exchange)
        session.capture_held(ref.key, holder)
        return {**ref.as_dict(), "revisit": None}

    def record(url: str, warc: dict[str, object]) -> dict[str, object]:
        return build_record(empty_result(url) | {"text": "Story."}, capture(url=url, warc=warc))  # type: ignore[return-value]

    first, second = Holder(), Holder()
    a, b = captured("https://h.example/a", first), captured("https://h.example/b", second)
    writer.close()  # the WARC rotates with both captures still on their way
    session.add_record(record("https://h.example/a", a))  # type: ignore[arg-type]
    del first
    gc.collect()
    session.finish_ready_records()
    records_of_first = archive / records_key_for(str(a["key"]))
    assert not records_of_first.exists() and not (session.spool_root / records_key_for(str(a["key"]))).exists()
    session.add_record(record("https://h.example/b", b))  # type: ignore[arg-type]
    del second
    gc.collect()
    session.finish_ready_records()
    session.output.wait()
    assert [r["url"] for r in read_jsonl_gz(records_of_first)] == ["https://h.example/a", "https://h.example/b"]

    late = captured("https://h.example/c", Holder())  # freed at once: a capture whose holder did not hold
    writer.close()
    gc.collect()
    session.finish_ready_records()
    session.add_record(record("https://h.example/c", late))  # type: ignore[arg-type]
    session.finish("finished", stats={}, sites=[])
    everything = [r for path in sorted((archive / "records").rglob("*.jsonl.gz")) for r in read_jsonl_gz(path)]
    assert [r["url"] for r in everything].count("https://h.example/c") == 1
    session.spool.close()
