"""CDXJ index of a WARC written by the rotating writer: every response found at its (offset, length)."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipelines.extract.pool import ExtractionPool
from pipelines.layout import cdxj_key_for
from pipelines.store.atomic import partial_path
from pipelines.warc.cdxj import LiveIndexes, ready, write_cdxj
from pipelines.warc.records import REVISIT_IDENTICAL, Exchange, Revisit
from pipelines.warc.writer import CaptureRef, RotatingWarcWriter
from tests.archive_checks import library_index


def exchange(url: str, method: str = "GET", body: bytes = b"") -> Exchange:
    return Exchange(
        url=url,
        method=method,
        request_headers=[(b"Content-Type", b"application/x-www-form-urlencoded")] if body else [],
        request_body=body,
        status=200,
        response_headers=[(b"Content-Type", b"text/html; charset=utf-8")],
        body=b"<html>" + url.encode() + b"</html>",
        protocol="HTTP/1.1",
        ip_address="127.0.0.1",
        date=datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC),
    )


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[CaptureRef]]:
    closed: list[str] = []
    writer = RotatingWarcWriter(tmp_path, host="h", max_size=10**9, warcinfo={"software": "t"}, on_close=closed.append)
    refs = [
        writer.write_exchange(exchange("http://127.0.0.1:9/b?x=1")),
        writer.write_exchange(exchange("http://127.0.0.1:9/a")),
        writer.write_exchange(exchange("http://127.0.0.1:9/search", method="POST", body=b"q=news")),
    ]
    writer.close()
    return tmp_path / closed[0], refs


def test_index_points_at_each_response(written: tuple[Path, list[CaptureRef]]) -> None:
    warc, refs = written
    out = write_cdxj(warc)
    assert out == Path(cdxj_key_for(str(warc))) and out.name == warc.name.removesuffix(".warc.gz") + ".cdxj"
    assert not list(out.parent.glob("*.open"))
    lines = out.read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == len(refs)
    entries = {}
    for line in lines:
        urlkey, timestamp, blob = line.split(" ", 2)
        entry = json.loads(blob)
        assert timestamp == "20240501120000"
        entries[entry["url"]] = (urlkey, entry)
    assert entries["http://127.0.0.1:9/b?x=1"][0] == "1,0,0,127:9)/b?x=1"
    assert entries["http://127.0.0.1:9/search"][0].startswith("1,0,0,127:9)/search?__wb_method=post&q=news")
    for url, ref in zip(
        ["http://127.0.0.1:9/b?x=1", "http://127.0.0.1:9/a", "http://127.0.0.1:9/search"], refs, strict=True
    ):
        entry = entries[url][1]
        assert (int(entry["offset"]), int(entry["length"])) == (ref.offset, ref.length)
        assert entry["filename"] == ref.filename
        assert entry["digest"] == ref.payload_digest
        assert entry["status"] == "200" and entry["mime"] == "text/html"


def test_index_is_write_once(written: tuple[Path, list[CaptureRef]]) -> None:
    warc, _ = written
    write_cdxj(warc)
    with pytest.raises(FileExistsError):
        write_cdxj(warc)


def test_only_warc_gz_files() -> None:
    with pytest.raises(ValueError):
        cdxj_key_for("x.warc")


# --- the index built while the WARC is written (LiveIndexes) -------------------------------------------------


class CountingWorker:
    """A real one-process pool (the crawl's), counting the tasks it was given."""

    def __init__(self) -> None:
        self.pool = ExtractionPool(1, warm=ready)
        self.tasks: list[str] = []
        self.spoil: Path | None = None  # a WARC whose partial CDXJ gets one more line before it is published

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        self.tasks.append(fn.__name__)
        if fn.__name__ == "publish_lines" and self.spoil is not None and args[0] == str(self.spoil):
            with partial_path(Path(cdxj_key_for(args[0]))).open("ab") as fh:
                fh.write(b"a line no batch wrote\n")
        return self.pool.submit(fn, *args)

    def kill(self) -> None:
        self.pool.kill()

    def close(self, *, kill: bool = False) -> None:
        self.pool.close(kill=kill)


@pytest.fixture
def worker() -> Iterator[CountingWorker]:
    counting = CountingWorker()
    yield counting
    counting.pool.close()


def write_crawl(writer: RotatingWarcWriter, pages: int) -> None:
    """Pages of ~6 KB of incompressible text, with what a crawl also writes: a POST, a revisit, capture fields and
    record metadata records, redirects."""
    rng = random.Random(7)
    for n in range(pages):
        body = "".join(rng.choice(string.ascii_letters) for _ in range(6000)).encode()
        page = replace(exchange(f"http://127.0.0.1:9/news/{n}?p={n % 3}"), body=body)
        ref = writer.write_exchange(page, capture_fields=[("via", "sitemap"), ("fetchTimeMs", str(n))])
        writer.write_metadata(uri=page.url, refers_to=ref.record_id, payload=json.dumps({"n": n}).encode(),
                              content_type='application/json; profile="record"')
        if n % 7 == 3:
            writer.write_exchange(exchange("http://127.0.0.1:9/search", method="POST", body=f"q={n}".encode()))
        if n % 5 == 1:
            writer.write_exchange(page, revisit=Revisit(REVISIT_IDENTICAL, page.url, ref.record_id, "2024-05-01"))
        if n % 9 == 0:
            writer.write_exchange(replace(exchange(f"http://127.0.0.1:9/old/{n}"), status=301, body=b"",
                                          response_headers=[(b"Location", b"/news/1")]))


def live_writer(tmp_path: Path, worker: CountingWorker) -> tuple[LiveIndexes, RotatingWarcWriter, list[str]]:
    """The crawl's writer with live indexes in 20 kB batches, rotating at 300 kB; the keys of the files it closed."""
    live = LiveIndexes(lambda: worker, batch=20_000)
    closed: list[str] = []
    writer = RotatingWarcWriter(tmp_path / "spool", host="h", max_size=300_000, warcinfo={"software": "t"},
                                on_close=closed.append, indexes=live)
    return live, writer, closed


def test_index_built_while_writing_is_the_indexers_own(tmp_path: Path, worker: CountingWorker) -> None:
    live, writer, closed = live_writer(tmp_path, worker)
    write_crawl(writer, 120)
    writer.close()
    assert len(closed) >= 2, "rotates"
    assert worker.tasks.count("index_members") > 3 * len(closed), "several batches per file"
    for key in closed:
        warc = tmp_path / "spool" / key
        index = write_cdxj(warc, live)
        assert index.read_bytes() == library_index(warc)
    assert not list((tmp_path / "spool").rglob("*.cdxj.open"))
    assert worker.tasks.count("publish_lines") == len(closed)
    text = b"".join(Path(cdxj_key_for(str(tmp_path / "spool" / key))).read_bytes() for key in closed)
    assert b"__wb_method=post" in text and b"warc/revisit" in text and b'"status": "301"' in text


def test_a_killed_worker_or_a_bad_partial_index_still_gives_the_indexers_own(
        tmp_path: Path, worker: CountingWorker, caplog: pytest.LogCaptureFixture) -> None:
    """A worker killed mid-file (the batches it held fail; a new worker takes the next ones) and a partial index
    gone wrong (lines that no batch wrote): the whole file is indexed instead, with one warning."""
    live, writer, closed = live_writer(tmp_path, worker)
    write_crawl(writer, 20)
    worker.kill()
    write_crawl(writer, 100)
    writer.close()
    assert len(closed) >= 3
    worker.spoil = tmp_path / "spool" / closed[-1]
    for key in closed:
        warc = tmp_path / "spool" / key
        assert write_cdxj(warc, live).read_bytes() == library_index(warc)
    fallbacks = [r.message for r in caplog.records if "indexing the whole file" in r.message]
    names = [Path(key).name for key in closed]
    assert any(names[-1] in message and "ValueError" in message for message in fallbacks), fallbacks
    assert not any(names[1] in message for message in fallbacks), "a new worker indexes the files after the kill"
