"""Records built in worker processes for `import` and `reextract`, handed back in the order the pages came.

Classifying and extracting a page is CPU-bound Python (lxml, readability): one process uses one core. Here
the command's process reads the WARC (cheap) and keeps everything that must be sequential: the filters,
duplicate linking, the counts and the records file, so the output is the same record for record as
extracting in-process. Pages travel to the workers in small batches (one round trip per batch, not per
page) and at most a few batches per worker are in flight, so memory stays bounded however big the file.

The workers are the crawl's (pipelines.extract.pool.start_worker): they ignore Ctrl-C and SIGTERM (the
command decides how to stop), and on Linux die with the command, so a `kill -9` leaves none behind. A worker
that dies (a C-level crash on a hostile page) costs a restarted pool and that batch extracted in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar

from pipelines.extract.pool import children_ignore_interrupts, kill_processes, start_worker

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

BATCH_PAGES = 8  # pages per round trip: pickling a batch costs far less than extracting it
BATCH_BYTES = 4 * 1024 * 1024  # a batch of big pages is cut earlier
IN_FLIGHT_PER_WORKER = 3  # enough that no worker waits for the reader, few enough to bound memory


def worker_count(setting: int) -> int:
    """`IMPORT_WORKERS`: -1 = one per core (the command's own process mostly waits), 0 = in this process."""
    return (os.cpu_count() or 1) if setting < 0 else setting


def _run_batch(work: Callable[[Item], Result], batch: list[Item]) -> list[Result]:
    return [work(item) for item in batch]


class BatchWorkers(Generic[Item, Result]):
    """`map(items)`: `work(item)` for every item, in worker processes (or in-process with 0 workers), in order.

    `work` must be a module-level function (it is pickled by name); `size(item)` is the item's weight in bytes.
    """

    def __init__(self, work: Callable[[Item], Result], workers: int, size: Callable[[Item], int]) -> None:
        self.work = work
        self.workers = workers
        self.size = size
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the process has upload threads; the workers start ignoring signals, like the crawl's.
        with children_ignore_interrupts():
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=start_worker, initargs=(os.getpid(),))
            # Start them all now, while signals are ignored (the pool would otherwise grow on a later submit).
            for future in [pool.submit(os.getpid) for _ in range(self.workers)]:
                future.result()
        return pool

    def _batches(self, items: Iterable[Item]) -> Iterator[list[Item]]:
        batch: list[Item] = []
        weight = 0
        for item in items:
            batch.append(item)
            weight += self.size(item)
            if len(batch) >= BATCH_PAGES or weight >= BATCH_BYTES:
                yield batch
                batch, weight = [], 0
        if batch:
            yield batch

    def map(self, items: Iterable[Item]) -> Iterator[Result]:
        """Results in the order of `items`; closing the iterator early drops the batches in flight."""
        if self.workers <= 0:
            for item in items:
                yield self.work(item)
            return
        if self._pool is None:
            self._pool = self._start()
        pending: deque[tuple[list[Item], ProcessPoolExecutor, Future[list[Result]]]] = deque()
        try:
            for batch in self._batches(items):
                pending.append((batch, self._pool, self._pool.submit(_run_batch, self.work, batch)))
                while len(pending) >= self.workers * IN_FLIGHT_PER_WORKER:
                    yield from self._collect(*pending.popleft())
            while pending:
                yield from self._collect(*pending.popleft())
        finally:
            for _, _, future in pending:
                future.cancel()

    def _collect(self, batch: list[Item], pool: ProcessPoolExecutor, future: Future[list[Result]]) -> list[Result]:
        try:
            return future.result()
        except BrokenProcessPool:
            if pool is self._pool:  # the first batch of a broken pool restarts it; the others just run here
                log.warning("an extraction worker died; restarting the workers, extracting its batches in-process")
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()
            return _run_batch(self.work, batch)

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers; `kill`: at once, without finishing the batches in hand (a stopped run)."""
        if self._pool is None:
            return
        if kill:
            # ProcessPoolExecutor has no public list of its processes (terminate_workers() is Python 3.14).
            kill_processes(list(getattr(self._pool, "_processes", None) or ()))
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
