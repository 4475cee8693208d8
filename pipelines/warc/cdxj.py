"""CDXJ index of a finished WARC (`<basename>.cdxj` beside it), the lookup table replay tools use.

Built with `cdxj_indexer` (the indexer pywb itself uses), sorted, with POST bodies appended to the
URL key so POST captures replay. Written as `.open` and renamed, like the WARC, so a file with the
final name is always complete; a failed indexing leaves no `.open` behind.

A crawl builds it while the WARC is written (`LiveIndexes`): every WARC_INDEX_BATCH bytes of complete gzip members,
a worker process runs the same indexer over just those members, read back from the file, and appends
their lines (offsets counted from the file's start) to `<basename>.cdxj.open`; when the WARC closes, the
worker indexes the last members, sorts the lines with the indexer's own SortingWriter and publishes. The
lines are the ones the indexer gives for the whole file: a batch ends where an append ended, and the
writer appends a response with its request, which the indexer pairs (POST bodies). Whatever goes wrong
there, the whole finished file is indexed instead; a killed crawl's `.cdxj.open` is dropped by recovery.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cdxj_indexer.main import CDXJIndexer, SortingWriter

from pipelines.layout import cdxj_key_for
from pipelines.store.atomic import partial_path, publish

log = logging.getLogger(__name__)

BATCH_BYTES = 1024 * 1024  # default WARC_INDEX_BATCH: members per task (~10-50 pages), left to index at the close
WAIT_SECONDS = 600.0  # for the worker's tasks of one WARC, beyond which the whole file is indexed here

Result = TypeVar("Result")


class RawPayloadCDXJIndexer(CDXJIndexer):
    """cdxj-indexer, minus the decoding of payloads nobody reads.

    With POST appending, cdxj-indexer buffers every record through warcio's `content_stream()`, which undoes
    Content-Encoding: warcio's br decoder is written for brotlipy and raises AttributeError with Google's brotli
    (which Scrapy needs), and a gzip bomb is inflated whole into a temporary file. Only request bodies are read
    back (the POST query), so every other record is buffered as stored; the index lines are the same.
    """

    def _create_record_iter(self, input_: Any) -> _RawPayloads:
        return _RawPayloads(super()._create_record_iter(input_))


class _RawPayloads:
    """The indexer's ArchiveIterator (offsets and lengths still come from it), yielding non-request records
    whose `content_stream()` is the stored payload."""

    def __init__(self, records: Any) -> None:
        self.records = records

    def __getattr__(self, name: str) -> Any:
        return getattr(self.records, name)

    def __iter__(self) -> Iterator[Any]:
        for record in self.records:
            if record.rec_type != "request":
                record.content_stream = lambda raw=record.raw_stream: raw
            yield record


class _MembersIndexer(RawPayloadCDXJIndexer):
    """The indexer over a stretch of a WARC that starts at `base`: offsets as in the whole file."""

    def __init__(self, output: Any, filename: str, base: int) -> None:
        super().__init__(output, [], sort=False, post_append=True, filename=filename)
        self.base = base

    def get_field(self, record: Any, name: str, it: Any, filename: str) -> Any:
        value = super().get_field(record, name, it, filename)
        return str(int(value) + self.base) if name == "offset" else value


def index_members(warc: str, start: int, end: int) -> int:
    """In the worker: append the index lines of the gzip members in bytes [start, end) of a WARC (`warc` is its
    final name; it may still be `.open`) to its `.cdxj.open`, the first batch creating it; bytes appended."""
    final = Path(warc)
    try:
        fh = partial_path(final).open("rb")
    except FileNotFoundError:  # renamed meanwhile: the file is complete
        fh = final.open("rb")
    with fh:
        fh.seek(start)
        members = fh.read(end - start)
    if len(members) != end - start:
        raise ValueError(f"{final.name}: {len(members)} bytes at {start}, expected {end - start}")
    lines = io.StringIO()
    _MembersIndexer(lines, final.name, start).process_one(io.BytesIO(members), lines, warc)
    text = lines.getvalue().encode("utf-8")
    with partial_path(Path(cdxj_key_for(warc))).open("wb" if start == 0 else "ab") as out:
        out.write(text)
    return len(text)


def publish_lines(warc: str, size: int) -> None:
    """In the worker: sort the appended lines (`size` bytes of them, or something went wrong) and publish."""
    out = Path(cdxj_key_for(warc))
    partial = partial_path(out)
    if partial.stat().st_size != size:
        raise ValueError(f"{partial.name}: {partial.stat().st_size} bytes, the batches wrote {size}")
    with partial.open("r+", encoding="utf-8") as fh:
        lines = SortingWriter(fh)  # spills to temporary files past its buffer, like the whole-file indexer
        for line in fh:
            lines.write(line)
        fh.seek(0)
        fh.truncate()
        lines.flush()
    publish(partial, out)


def ready() -> None:
    """A worker of `LiveIndexes` loads nothing up front (the indexer is imported with this module)."""


class Worker(Protocol):
    """What `LiveIndexes` needs of a worker pool (pipelines.extract.pool.ExtractionPool with one worker)."""

    def submit(self, fn: Callable[..., Result], *args: Any) -> Future[Result]: ...

    def kill(self) -> None: ...

    def close(self, *, kill: bool = False) -> None: ...


class LiveIndex:
    """The CDXJ of one WARC being written; see the module docstring."""

    def __init__(self, warc: Path, worker: Worker, batch: int) -> None:
        self.warc = warc  # its final name
        self.worker = worker
        self.batch = batch
        self._indexed_to = 0  # bytes handed to the worker
        self._batches: list[Future[int]] = []
        self._error: BaseException | None = None

    def appended(self, end: int) -> None:
        """The file holds complete members up to `end` (flushed to the OS): hand them over once they are a batch.
        Never raises: the capture matters more, and a failure only means indexing the whole file later."""
        if end - self._indexed_to >= self.batch:
            self._hand_over(end)

    def sealed(self, size: int) -> None:
        """The file is complete and renamed: its last members go to the worker too."""
        self._hand_over(size)

    def _hand_over(self, end: int) -> None:
        if self._error is not None or end <= self._indexed_to:
            return
        try:
            self._batches.append(self.worker.submit(index_members, str(self.warc), self._indexed_to, end))
        except Exception as error:  # a pool that cannot start a worker, …
            self._error = error
        self._indexed_to = end

    def publish(self) -> Path:
        """Wait for the batches, then have the worker sort and publish (blocking: call it from an upload thread).
        Raises if any step failed; the partial index is the caller's to replace then."""
        try:
            # All of them, even after one failed: none may still write when the caller rebuilds the index.
            if wait(self._batches, timeout=WAIT_SECONDS).not_done:
                raise TimeoutError(f"indexing {self.warc.name}: batches still running after {WAIT_SECONDS:.0f} s")
            size = sum(batch.result() for batch in self._batches)
            if self._error is not None:
                raise self._error
            self.worker.submit(publish_lines, str(self.warc), size).result(timeout=WAIT_SECONDS)
        except TimeoutError:
            self.worker.kill()  # its futures fail at once; nothing of it writes any more
            raise
        return Path(cdxj_key_for(str(self.warc)))


class LiveIndexes:
    """The live indexes of a crawl's WARCs: the writer starts one per file, `write_cdxj` takes it (by file name:
    WARC names are unique). The worker is started with the first file (`start_worker`), by the writer's thread:
    not while the crawl starts, when a Ctrl-C must find the crawl's own handlers."""

    def __init__(self, start_worker: Callable[[], Worker], batch: int = BATCH_BYTES) -> None:
        self.start_worker = start_worker
        self.batch = batch
        self._worker: Worker | None = None
        self._indexes: dict[str, LiveIndex] = {}

    def start(self, warc: Path) -> LiveIndex | None:
        """The live index of a new file; None if no worker can be started (the file is indexed when it closes)."""
        if self._worker is None:
            try:
                self._worker = self.start_worker()
            except Exception as error:  # the capture matters more
                log.error("CDXJ of %s: no indexing worker (%s: %s); indexed when it closes", warc.name,
                          type(error).__name__, error)
                return None
        index = self._indexes[warc.name] = LiveIndex(warc, self._worker, self.batch)
        return index

    def take(self, warc: Path) -> LiveIndex | None:
        return self._indexes.pop(warc.name, None)

    def close(self, *, kill: bool = False) -> None:
        """The end of the run, once the WARCs' uploads are waited for: stop the worker (`kill`: an interrupted run,
        at once). Files left not indexed (interrupted, or a WARC that could not be closed) lose their partial
        indexes, like a killed run's: the next run indexes the WARCs it finds in the spool from scratch."""
        if self._worker is not None:
            self._worker.close(kill=kill)
        for index in list(self._indexes.values()):  # upload threads may still take theirs
            partial_path(Path(cdxj_key_for(str(index.warc)))).unlink(missing_ok=True)
        self._indexes.clear()


def write_cdxj(warc_path: Path, live: LiveIndexes | None = None) -> Path:
    """Index one finished WARC; its lines name the WARC by basename. Refuses to overwrite (write-once).

    With `live`, the index built while the file was written is published if it can be, else the whole file is
    indexed (one warning line)."""
    out = Path(cdxj_key_for(str(warc_path)))
    if out.exists():
        raise FileExistsError(out)
    index = live.take(Path(warc_path)) if live is not None else None
    if index is not None:
        try:
            return index.publish()
        except Exception as error:
            log.warning("CDXJ of %s: the index built while writing failed (%s: %s); indexing the whole file",
                        Path(warc_path).name, type(error).__name__, error)
    partial = partial_path(out)
    partial.unlink(missing_ok=True)  # left by a killed run: the index is rebuilt from the WARC
    try:
        with partial.open("w", encoding="utf-8") as fh:
            RawPayloadCDXJIndexer(fh, [str(warc_path)], sort=True, post_append=True).process_all()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    publish(partial, out)
    return out
