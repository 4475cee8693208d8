"""One crawl shared by several processes through Redis: its identity, its workers and their leases.

N `newsarchive crawl` processes started with the same arguments into the same archive form one run: the first
to start names it (its crawl id), seeds it once, and every worker takes requests from one frontier (a
scrapy-redis priority queue, a sorted set of encoded requests). scrapy-redis *pops* a request; here taking one
moves it, in one Lua script, into a lease hash of the worker that took it, and the worker acknowledges the
lease once the response was processed (its links are in the frontier, its record written). A worker keeps a
heartbeat key alive (PX = lease timeout); a worker whose heartbeat expired is dead, and whichever worker
notices moves its leases back to the frontier (again one script, so two reapers never push a request twice).

The run ends when the frontier is empty and no leases are out for the idle timeout; each worker leaves its
report here, and the last one to finish merges them into the run's one report. Everything is bytes and
strings: the Scrapy side (crawler/distributed/) encodes requests.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from pipelines.state.politeness import SharedPoliteness
from pipelines.state.redis_client import archive_keys, connect

# Take the best request (lowest score) and lease it to a worker: → {lease id, request} or nil.
TAKE = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return nil end
redis.call('ZREM', KEYS[1], item[1])
local id = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[2], id, item[2] .. '\\n' .. item[1])
return {id, item[1]}
"""
# Push a request, resolving the lease of the request it replaces (a retry, a redirect) in the same step.
PUSH = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HDEL', KEYS[2], ARGV[3]) end
return 1
"""
# Every worker whose heartbeat is gone: its leases back to the frontier (an interrupted worker that finished
# still had some); one that did not finish is lost. → how many requests went back.
REAP = """
local moved = 0
for _, worker in ipairs(redis.call('HKEYS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. worker) == 0 then
    local leases = ARGV[1] .. 'leases:' .. worker
    for _, entry in ipairs(redis.call('HVALS', leases)) do
      local cut = string.find(entry, '\\n', 1, true)
      redis.call('ZADD', KEYS[2], string.sub(entry, 1, cut - 1), string.sub(entry, cut + 1))
      moved = moved + 1
    end
    redis.call('DEL', leases)
    if redis.call('SISMEMBER', KEYS[3], worker) == 0 then
      redis.call('SADD', KEYS[4], worker)
      redis.call('SADD', KEYS[3], worker)
    end
  end
end
return moved
"""
# Leases out across the run's workers.
LEASES_OUT = """
local out = 0
for _, worker in ipairs(redis.call('HKEYS', KEYS[1])) do
  out = out + redis.call('HLEN', ARGV[1] .. 'leases:' .. worker)
end
return out
"""
# This worker finished: its report kept; → 1 when every worker has finished or was lost (this one merges).
MERGED_MARK_SECONDS = 86_400

FINISH = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
for _, worker in ipairs(redis.call('HKEYS', KEYS[3])) do
  if redis.call('SISMEMBER', KEYS[2], worker) == 0 then return 0 end
end
if redis.call('SET', KEYS[4], ARGV[1], 'NX') then return 1 end
return 0
"""


def run_key(parts: Any) -> str:
    """What makes two processes the same crawl (their sites and arguments), as a short stable digest."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def runs_prefix(archive_uri: str) -> str:
    return f"{archive_keys(archive_uri)}run:"


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"


@dataclass(frozen=True)
class Lease:
    """A request taken from the frontier: its lease id and encoded request."""

    id: str
    data: bytes


class SharedRun:
    """The Redis side of one shared crawl, seen by one worker; see module docstring."""

    def __init__(self, client: Any, prefix: str, *, worker: str, lease_timeout: float,
                 politeness_prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self.worker = worker
        self.lease_timeout_ms = max(1, int(lease_timeout * 1000))
        self.frontier = prefix + "requests"
        self.fingerprints = prefix + "fingerprints"
        self.leases = prefix + "leases:" + worker
        self.workers = prefix + "workers"
        self.finished = prefix + "finished"
        self.lost = prefix + "lost"
        self.reports = prefix + "reports"
        self.politeness = SharedPoliteness(client, politeness_prefix or prefix + "polite:", prefix + "blocked")
        self._take = client.register_script(TAKE)
        self._push = client.register_script(PUSH)
        self._reap = client.register_script(REAP)
        self._leases_out = client.register_script(LEASES_OUT)
        self._finish = client.register_script(FINISH)

    @classmethod
    def open(cls, redis_url: str, archive_uri: str, key: str, *, lease_timeout: float) -> SharedRun:
        """Connected and checked now (StoreUnavailableError / StoreConfigError as for the seen-store)."""
        return cls(connect(redis_url), f"{runs_prefix(archive_uri)}{key}:", worker=new_worker_id(),
                   lease_timeout=lease_timeout, politeness_prefix=f"{archive_keys(archive_uri)}polite:")

    # -- identity and membership -----------------------------------------------------------------

    def join(self, crawl_id: str, info: dict[str, Any]) -> str:
        """Register this worker and its heartbeat; → the run's crawl id (ours if we are the first)."""
        self.client.set(self.prefix + "id", crawl_id, nx=True)
        run_id = self.client.get(self.prefix + "id").decode()
        self.heartbeat()
        self.client.hset(self.workers, self.worker, json.dumps({**info, "worker": self.worker}))
        return run_id

    def claim_seeding(self) -> bool:
        """True for exactly one worker of the run: the one that adds the seeds."""
        return bool(self.client.set(self.prefix + "seeded", self.worker, nx=True))

    def heartbeat(self) -> None:
        self.client.set(self.prefix + "alive:" + self.worker, "1", px=self.lease_timeout_ms)

    def reap(self) -> int:
        """Return dead workers' leases to the frontier; → how many requests went back."""
        return int(self._reap(keys=[self.workers, self.frontier, self.finished, self.lost], args=[self.prefix]))

    # -- the frontier ----------------------------------------------------------------------------

    def push(self, score: float, data: bytes, replaces: str = "") -> None:
        """Add an encoded request; `replaces` is the lease of the request it follows up (retry, redirect)."""
        self._push(keys=[self.frontier, self.leases], args=[score, data, replaces])

    def take(self) -> Lease | None:
        taken = self._take(keys=[self.frontier, self.leases, self.prefix + "lease-ids"])
        return Lease(taken[0].decode(), taken[1]) if taken else None

    def ack(self, lease: str) -> None:
        self.client.hdel(self.leases, lease)

    def count_scheduled(self, site: str, amount: int = 1) -> int:
        """`amount` more (or, given back, fewer) requests of `site` scheduled in this run, by any worker; → how
        many so far (the page budget, crawler/spiders/budget.py)."""
        return int(self.client.incrby(self.prefix + "scheduled:" + site, amount))

    def depth(self) -> int:
        return int(self.client.zcard(self.frontier))

    def leases_out(self) -> int:
        return int(self._leases_out(keys=[self.workers], args=[self.prefix]))

    def quiet(self) -> bool:
        """Nothing left to do anywhere: the frontier is empty and no worker holds a lease."""
        return self.depth() == 0 and self.leases_out() == 0

    # -- the end ---------------------------------------------------------------------------------

    def finish(self, report: dict[str, Any], run_id: str) -> bool:
        """Leave this worker's report; True when this worker is the last one and merges run `run_id`'s report."""
        return bool(self._finish(keys=[self.reports, self.finished, self.workers, self.prefix + "merged:" + run_id],
                                 args=[self.worker, json.dumps(report)]))

    def worker_reports(self) -> dict[str, dict[str, Any]]:
        return {k.decode(): json.loads(v) for k, v in self.client.hgetall(self.reports).items()}

    def lost_workers(self) -> list[str]:
        return sorted(w.decode() for w in self.client.smembers(self.lost))

    def clear(self) -> None:
        """The run is over: its keys go, so the next crawl with the same arguments starts a new run. The mark
        that its report was merged stays a day: a worker finishing late must not merge (and write) it again."""
        merged = (self.prefix + "merged:").encode()
        keys = [key for key in self.client.scan_iter(match=self.prefix.replace("*", "\\*") + "*", count=1000)
                if not key.startswith(merged)]
        for start in range(0, len(keys), 500):
            self.client.delete(*keys[start:start + 500])
        for key in self.client.scan_iter(match=self.prefix.replace("*", "\\*") + "merged:*", count=1000):
            self.client.expire(key, MERGED_MARK_SECONDS)

    def close(self) -> None:
        self.client.delete(self.prefix + "alive:" + self.worker)


def live_runs(client: Any, archive_uri: str) -> list[dict[str, Any]]:
    """For `status`: every shared run of an archive in Redis, its workers, queue depth and leases out."""
    runs = []
    prefix = runs_prefix(archive_uri)
    for key in client.scan_iter(match=prefix + "*:workers", count=1000):
        run_prefix = key.decode()[:-len("workers")]
        crawl_id = client.get(run_prefix + "id")
        workers = {}
        finished = {w.decode() for w in client.smembers(run_prefix + "finished")}
        lost = {w.decode() for w in client.smembers(run_prefix + "lost")}
        for worker, info in client.hgetall(key).items():
            name = worker.decode()
            state = "lost" if name in lost else "finished" if name in finished else \
                "alive" if client.exists(run_prefix + "alive:" + name) else "silent"
            workers[name] = {**json.loads(info), "state": state,
                             "leases": int(client.hlen(run_prefix + "leases:" + name))}
        runs.append({"crawl_id": crawl_id.decode() if crawl_id else None, "queue": int(client.zcard(
            run_prefix + "requests")), "leases": sum(w["leases"] for w in workers.values()), "workers": workers})
    return runs
