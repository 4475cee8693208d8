"""Extraction (and the crawl's other CPU-bound work, e.g. WARC indexing) in worker processes, so the crawl's
single reactor thread keeps downloading meanwhile.

Extraction is CPU-bound Python (lxml, readability): in the reactor thread it stalls every download and
leaves the other cores idle. A worker that dies (a C-level crash on a hostile page) costs one retry in
this process, never the page or the crawl.

Workers belong to the crawl: a terminal's Ctrl-C (SIGINT to the whole process group) or a SIGTERM to it is
the crawl's to handle — it decides how to stop and closes the pool. So a worker starts life with both blocked
(started under `children_ignore_interrupts`: the signal mask survives fork and exec, so none can kill it while it
is still importing), ignores them, then leaves the crawl's process group. On Linux the kernel kills it when the
crawl process dies, so a `kill -9` of the crawl leaves no worker (and so no multiprocessing resource
tracker, which lives as long as a worker holds its pipe) behind.
"""

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import resource_tracker
from typing import Any, TypeVar

from pipelines.gcpolicy import freeze_start_up

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# The pool's threads in this process (one pickles pages into the workers' pipe, one takes their results) need the
# GIL, which the reactor thread keeps for up to the switch interval at a time (5 ms by default): a worker done with
# its two queued pages waited for the next ones. At 1 ms the demo crawl (25 copies) took 22.7-28.6 s instead of
# 30.7-36.5 s of spider time (alternating runs, load 2.5-3.3), with no more CPU.
SWITCH_INTERVAL = 0.001
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)
Result = TypeVar("Result")


def default_workers() -> int:
    """All cores but the one the reactor needs; 0 (extract in-process) on a single core."""
    return max(0, (os.cpu_count() or 1) - 1)


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies (Linux; elsewhere a worker ends when its pipe closes).

    The death signal is tied to the thread that forked us; the pool is only grown from the crawl's main
    thread, which lives as long as the process. A parent already gone before the call means exit now.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(0)


def start_worker(parent_pid: int, warm: Callable[[], None] | None = None) -> None:
    """Initializer of every worker: out of the crawl's process group (signals to it are the crawl's), SIGINT
    ignored, SIGTERM back to its default (the pool terminates a broken pool's workers with it), death
    following the crawl's; then `warm` up (extraction's, unless told: a module-level function, pickled by name)
    and freeze what that made (pipelines.gcpolicy)."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    for signum in INTERRUPTS:  # setting "ignore" drops one sent to the crawl's group before we left it
        signal.signal(signum, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPTS)  # the mask of the thread that started us
    die_with_parent(parent_pid)
    if warm is None:
        from pipelines.extract.article import warm_up  # the extraction stack: imported where it runs (ExtractionPool)

        warm = warm_up
    warm()
    freeze_start_up()


@contextlib.contextmanager
def children_ignore_interrupts() -> Iterator[None]:
    """Processes this thread starts meanwhile (workers) begin life with SIGINT and SIGTERM blocked, which they
    inherit across fork and exec; `start_worker` ignores both before it unblocks them, so one sent to the crawl's
    process group meanwhile is dropped there, never raised while the worker imports.

    This process keeps its handlers. Ignoring the signals here instead (as once done) lost a Ctrl-C: with this
    thread blocking it, the kernel hands a signal sent to the process to another thread, which discards it while
    its action is "ignore". Now that thread runs the C handler and the main thread the Python one, as always.
    """
    # The resource tracker unblocks both in the thread that starts it (it ignores them itself): started first, so
    # it cannot undo our block while a worker spawns. A tracker already running is left as it is.
    resource_tracker.ensure_running()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def extract_where_it_runs(html: bytes | str, url: str, **kwargs: Any) -> dict[str, Any]:
    """`extract_article`, imported by the process that runs it: a pool's own process need not load the extraction
    stack (a crawl's index worker pool, or a crawl whose work is another function)."""
    from pipelines.extract.article import extract_article

    return extract_article(html, url, **kwargs)


class ExtractionPool:
    """`await pool.extract(html, url, **kwargs)`: same result as `work(html, url, **kwargs)` (`extract_article`
    unless told; a module-level function, so workers can import it), off the event loop thread."""

    def __init__(self, workers: int, work: Callable[..., dict[str, Any]] | None = None,
                 warm: Callable[[], None] | None = None) -> None:
        self.workers = workers
        self.work = work or extract_where_it_runs
        self.warm = warm
        self._pool = self._start() if workers > 0 else None
        _pools.add(self)

    def _start(self) -> ProcessPoolExecutor:
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        # spawn, not fork: the crawler process has threads (uploads) and a running event loop.
        with children_ignore_interrupts():
            return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=start_worker, initargs=(os.getpid(), self.warm))

    def _submit(self, pool: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> Future[Any]:
        if len(self.worker_pids()) >= self.workers:
            return pool.submit(*args, **kwargs)
        with children_ignore_interrupts():  # the pool grows on submit
            return pool.submit(*args, **kwargs)

    async def extract(self, html: bytes | str, url: str, **kwargs: Any) -> dict[str, Any]:
        if self._pool is None:
            return self.work(html, url, **kwargs)
        try:
            future = self._submit(self._pool, self.work, html, url, **kwargs)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            log.warning("an extraction worker died on %s; restarting the pool and extracting in-process", url)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
            return self.work(html, url, **kwargs)

    def submit(self, fn: Callable[..., Result], *args: Any) -> Future[Result]:
        """`fn(*args)` in a worker (here and now without workers), for work waited for by another thread. A pool
        broken by a dead worker is restarted for it; the futures the dead worker held fail with BrokenProcessPool."""
        if self._pool is None:
            done: Future[Result] = Future()
            try:
                done.set_result(fn(*args))
            except Exception as error:
                done.set_exception(error)
            return done
        try:
            return self._submit(self._pool, fn, *args)
        except BrokenProcessPool:
            log.warning("a worker died; restarting the pool")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
            return self._submit(self._pool, fn, *args)

    def worker_pids(self) -> list[int]:
        # ProcessPoolExecutor has no public list of its processes (terminate_workers() is Python 3.14).
        return list(getattr(self._pool, "_processes", None) or ())

    def kill(self) -> None:
        """SIGKILL the workers, dropping the work in hand (its futures fail); the next `submit` starts new ones."""
        kill_processes(self.worker_pids())

    def close(self, *, kill: bool = False) -> None:
        """Shut the pool down; `kill`: without finishing the pages in hand (a crawl that was told to stop)."""
        if self._pool is None:
            return
        if kill:
            self.kill()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None


_pools: weakref.WeakSet[ExtractionPool] = weakref.WeakSet()


def kill_processes(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def kill_all_workers() -> None:
    """SIGKILL every worker of every pool of this process; takes no lock (safe in a signal handler)."""
    for pool in list(_pools):
        kill_processes(pool.worker_pids())


def stop_resource_tracker(timeout: float = 2.0) -> None:
    """Stop multiprocessing's resource tracker before this process exits, instead of it lingering after us until
    it notices. There is no public way: ResourceTracker._stop is what CPython's own tests call. Once the pools are
    closed it has nothing left to clean; bounded, as it waits for every worker to be gone."""
    stop = getattr(resource_tracker._resource_tracker, "_stop", None)
    if stop is None:
        return
    stopper = threading.Thread(target=stop, name="resource-tracker-stop", daemon=True)
    stopper.start()
    stopper.join(timeout)
