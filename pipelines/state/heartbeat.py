"""A worker's heartbeat key in Redis, kept alive from a thread of its own.

From a thread, so a process busy for a while (a large WARC being closed, a long extraction, the reactor
blocked) never looks dead to the others; the key expires `lease_timeout` after the last beat, which is how
the other workers of a shared crawl or import learn that this one died.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

log = logging.getLogger(__name__)


class Beating(Protocol):
    lease_timeout_ms: int

    def heartbeat(self) -> None: ...

    def close(self) -> None: ...


class Heartbeat(threading.Thread):
    """Beats four times per lease timeout until `stop()`."""

    def __init__(self, worker: Beating) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.worker = worker
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = self.worker.lease_timeout_ms / 4000
        while not self.stopped.wait(interval):
            try:
                self.worker.heartbeat()
            except Exception:  # Redis away for a moment: the next beat tries again
                log.warning("heartbeat to Redis failed; trying again in %.1f s", interval)

    def stop(self) -> None:
        """The worker is done, not dead: no more beats, and its heartbeat key goes."""
        self.stopped.set()
        self.join(timeout=5)
        self.worker.close()
