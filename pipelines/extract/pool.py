"""Extraction in worker processes, so the crawl's single reactor thread keeps downloading meanwhile.

Extraction is CPU-bound Python (lxml, readability): in the reactor thread it stalls every download and
leaves the other cores idle. A worker that dies (a C-level crash on a hostile page) costs one retry in
this process, never the page or the crawl.
"""

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pipelines.extract.article import extract_article, warm_up

log = logging.getLogger(__name__)


def default_workers() -> int:
    """All cores but the one the reactor needs; 0 (extract in-process) on a single core."""
    return max(0, (os.cpu_count() or 1) - 1)


class ExtractionPool:
    """`await pool.extract(html, url, **kwargs)`: same result as `extract_article`, off the event loop thread."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._start() if workers > 0 else None

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the crawler process has threads (uploads) and a running event loop.
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=warm_up)

    async def extract(self, html: bytes | str, url: str, **kwargs: Any) -> dict[str, Any]:
        if self._pool is None:
            return extract_article(html, url, **kwargs)
        try:
            future = self._pool.submit(extract_article, html, url, **kwargs)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            log.warning("an extraction worker died on %s; restarting the pool and extracting in-process", url)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
            return extract_article(html, url, **kwargs)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
