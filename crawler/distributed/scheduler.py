"""scrapy-redis's scheduler and priority queue, with leases: a request taken is leased, never just popped.

scrapy-redis keeps the frontier (a sorted set of encoded requests, best priority first) and the request
fingerprints (its RFPDupeFilter) in Redis, shared by every worker. Its queue pops: a worker killed between
the pop and the response loses the request. `LeasedQueue` takes through pipelines.state.crawlrun instead (the
request moves into the worker's lease hash in one script) and marks the request with its lease id; the lease
is acknowledged by crawler.distributed.leases once the response was processed, or here when the request is
replaced by a retry or a redirect (the new request goes back to the frontier in the same step) or when the
duplicate filter drops that follow-up.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.run import LEASE_META, shared_run_of
from pipelines.state.crawlrun import SharedRun


class LeasedQueue(PriorityQueue):
    """scrapy-redis's PriorityQueue whose pop leases (see module docstring)."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        run = shared_run_of(spider.crawler)
        assert run is not None, "the shared scheduler is only configured for a shared crawl"
        self.run: SharedRun = run
        self.key = run.frontier

    def push(self, request: Request) -> None:
        replaces = request.meta.pop(LEASE_META, None) or ""
        self.run.push(-request.priority, self._encode_request(request), replaces)

    def pop(self, timeout: int = 0) -> Request | None:
        lease = self.run.take()
        if lease is None:
            return None
        request: Request = self._decode_request(lease.data)
        request.meta[LEASE_META] = lease.id
        return request


class SharedScheduler(Scheduler):
    """scrapy-redis's Scheduler; a leased request the duplicate filter drops (a redirect to a page already
    requested) resolves its lease, and closing never flushes the shared frontier (the run's end clears it)."""

    def enqueue_request(self, request: Request) -> bool:
        lease = request.meta.get(LEASE_META)
        queued = bool(super().enqueue_request(request))
        if not queued and lease:
            self.queue.run.ack(lease)
        return queued

    def close(self, reason: str) -> None:
        """Nothing flushed: other workers go on with the frontier."""
