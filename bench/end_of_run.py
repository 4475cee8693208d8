"""End of run: the time from the last write of a big WARC to its published CDXJ, the index built while the file
was written (a worker process, WARC_INDEX_BATCH at a time) against indexing the whole finished file, same run.

    .venv/bin/python bench/end_of_run.py                  # a 500 MB WARC
    .venv/bin/python bench/end_of_run.py --size-mb 100    # quicker

The WARC is written through the crawl's own writer (`RotatingWarcWriter`, one gzip member per record) from the
generated site's pages (bench/scale_site.py: real templates, ≈110 KB of HTML each), each exchange with its
request, its capture-fields metadata record and a record's metadata record, as a crawl writes them, with the
live index on (`LiveIndexes` and its one-process pool, as the crawl's session makes them). Then:

- **new**: close the file (fsync, rename), have the worker index the last members, sort and publish;
- **whole file**: the same finished file (a hard link under the same name elsewhere), indexed from scratch by
  `write_cdxj` in this process, as every WARC was before (and as recovery still does).

The two indexes are compared byte for byte (exit 1 if they differ). Also printed: what indexing costs per page
if it ran in the crawl process (CPU time of one batch indexed in-process), what handing batches to the worker
costs the writing thread per page (its CPU time), and the worker's CPU time. JSON goes to bench/results/end_of_run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scale_site import ScaleSite
from pipelines.extract.pool import ExtractionPool
from pipelines.layout import cdxj_key_for
from pipelines.store.atomic import partial_path
from pipelines.warc import cdxj
from pipelines.warc.records import Exchange
from pipelines.warc.writer import RotatingWarcWriter

RESULTS = Path(__file__).resolve().parent / "results" / "end_of_run.json"


class TimedIndex(cdxj.LiveIndex):
    """The crawl's live index, timing what it costs the writing thread (the reactor, in a crawl): its CPU time, as
    wall time on a loaded machine is mostly waiting for a core."""

    spent = 0.0

    def appended(self, end: int) -> None:
        started = time.thread_time()
        super().appended(end)
        TimedIndex.spent += time.thread_time() - started


class TimedIndexes(cdxj.LiveIndexes):
    def start(self, warc: Path) -> cdxj.LiveIndex:
        plain = super().start(warc)
        assert plain is not None
        index = self._indexes[warc.name] = TimedIndex(warc, plain.worker, self.batch)
        return index


def exchange(site: ScaleSite, i: int) -> Exchange:
    return Exchange(
        url=f"http://127.0.0.1:8000{site.path(i % site.articles)}?copy={i // site.articles}",
        method="GET", request_headers=[(b"User-Agent", b"bench")], request_body=b"", status=200,
        response_headers=[(b"Content-Type", b"text/html; charset=utf-8")], body=site.article(i % site.articles),
        protocol="HTTP/1.1", ip_address="127.0.0.1", date=datetime.now(UTC))


def write_warc(root: Path, size: int, indexes: cdxj.LiveIndexes) -> tuple[RotatingWarcWriter, int, float]:
    """The writer (its file still open) after `size` bytes of pages; how many pages, seconds spent writing."""
    site = ScaleSite(articles=2000)
    writer = RotatingWarcWriter(root, host="bench", max_size=size * 4, warcinfo={"software": "bench"},
                                on_close=lambda key: None, indexes=indexes)
    started = time.perf_counter()
    for i in count():
        page = exchange(site, i)
        ref = writer.write_exchange(page, capture_fields=[("via", "sitemap"), ("fetchTimeMs", "12")])
        record = {"url": page.url, "title": f"Story {i}", "text": "words " * 300}
        writer.write_metadata(uri=page.url, refers_to=ref.record_id, payload=json.dumps(record).encode(),
                              content_type='application/json; profile="record"')
        assert writer._current is not None
        if writer._current.fh.tell() >= size:
            return writer, i + 1, time.perf_counter() - started
    raise AssertionError("unreachable")


def in_process_cost(warc: Path, scratch: Path, batch: int) -> tuple[float, int]:
    """CPU seconds to index one batch from the middle of the file in this process, and the pages in it."""
    with warc.open("rb") as fh:
        records = ArchiveIterator(fh)
        bounds = [(records.get_record_offset(), r.rec_type) for r in records if r.rec_type in ("response", "warcinfo")]
    middle = warc.stat().st_size // 2
    start = next(offset for offset, kind in bounds if kind == "response" and offset >= middle)
    end = next(offset for offset, _ in bounds if offset >= start + batch)
    link = scratch / "in-process" / warc.name
    link.parent.mkdir()
    os.link(warc, link)
    started = time.thread_time()
    cdxj.index_members(str(link), start, end)
    seconds = time.thread_time() - started
    lines = partial_path(Path(cdxj_key_for(str(link)))).read_text().splitlines()
    return seconds, sum('"mime": "text/html"' in line for line in lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=500, help="size of the WARC (default 500)")
    parser.add_argument("--batch", type=int, default=cdxj.BATCH_BYTES, help="WARC_INDEX_BATCH (default 1 MiB)")
    args = parser.parse_args()
    size = args.size_mb * 1_000_000
    with tempfile.TemporaryDirectory(prefix="end-of-run-") as tmp:
        scratch = Path(tmp)
        pool = ExtractionPool(1, warm=cdxj.ready)
        live = TimedIndexes(lambda: pool, args.batch)
        writer, pages, writing = write_warc(scratch / "spool", size, live)
        assert writer._current is not None
        final = writer._current.final

        last_write = time.perf_counter()
        writer.close()
        closed = time.perf_counter()
        new_index = cdxj.write_cdxj(final, live)
        new_seconds = time.perf_counter() - last_write
        close_seconds = closed - last_write
        pool.close()
        worker_cpu = sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f) for f in ("ru_utime", "ru_stime"))

        whole_warc = scratch / "whole" / final.name
        whole_warc.parent.mkdir()
        os.link(final, whole_warc)
        started = time.perf_counter()
        whole_index = cdxj.write_cdxj(whole_warc)
        whole_seconds = close_seconds + time.perf_counter() - started

        same = new_index.read_bytes() == whole_index.read_bytes()
        batch_seconds, batch_pages = in_process_cost(final, scratch, args.batch)
        result: dict[str, Any] = {
            "warc_bytes": final.stat().st_size, "pages": pages, "bytes_per_page": final.stat().st_size // pages,
            "index_lines": len(new_index.read_bytes().splitlines()), "batch_bytes": args.batch,
            "writing_s": round(writing, 1),
            "end_of_run_new_s": round(new_seconds, 3), "end_of_run_whole_file_s": round(whole_seconds, 3),
            "close_s": round(close_seconds, 3), "ratio_new_over_whole": round(new_seconds / whole_seconds, 4),
            "identical": same,
            "in_process_ms_per_page": round(1000 * batch_seconds / max(batch_pages, 1), 2),
            "hand_over_ms_per_page": round(1000 * TimedIndex.spent / pages, 4),
            "worker_cpu_s": round(worker_cpu, 1),
        }
    print(f"WARC {result['warc_bytes'] / 1e6:.0f} MB, {pages} pages ({result['bytes_per_page'] / 1000:.0f} kB each), "
          f"{result['index_lines']} index lines; written in {writing:.1f} s")
    print(f"last write → published CDXJ: new {new_seconds:.2f} s, whole file {whole_seconds:.2f} s "
          f"(close {close_seconds:.2f} s in both), ratio {result['ratio_new_over_whole']}")
    print(f"indexing in the crawl process would cost {result['in_process_ms_per_page']} ms/page; handing batches "
          f"to the worker costs the writing thread {result['hand_over_ms_per_page']} ms/page; worker CPU "
          f"{worker_cpu:.1f} s")
    print("indexes identical" if same else "INDEXES DIFFER")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
