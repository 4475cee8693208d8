"""Sources of an import or re-extraction claimed one at a time through Redis, so N workers split a list.

Every worker is given the same list (e.g. a CC-NEWS month) and walks it; `sources()` yields only those it
claimed: a claim is the worker's name on the source's key, valid while the worker's heartbeat lives. A source
done (imported, or found done before) is marked so for a month; a source that failed is released, for a later
run. A claim held by another worker is passed over and looked at again once the list is walked: when its
holder died, the claim is taken over and the source redone here (its partial file never reached the archive;
a records file's key is write-once, so a source whose file exists is skipped anyway: resumable after any kill).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pipelines.state.crawlrun import new_worker_id
from pipelines.state.heartbeat import Heartbeat
from pipelines.state.redis_client import archive_keys, connect

DONE = "__done__"
DONE_TTL_S = 30 * 24 * 3600
RECHECK_S = 1.0
# → "ok" (ours now), "done", or the live holder's name.
CLAIM = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  if holder == ARGV[3] then return holder end
  if redis.call('EXISTS', ARGV[2] .. holder) == 1 then return holder end
end
redis.call('SET', KEYS[1], ARGV[1])
return 'ok'
"""


class SourceClaims:
    """One worker's claims on the sources of one kind of run (`import`, `reextract`) in one archive."""

    def __init__(self, client: Any, prefix: str, *, worker: str, lease_timeout: float) -> None:
        self.client = client
        self.prefix = prefix
        self.worker = worker
        self.lease_timeout_ms = max(1, int(lease_timeout * 1000))
        self.alive_prefix = prefix + "alive:"
        self._claim = client.register_script(CLAIM)
        self.passed_over = 0

    @classmethod
    def open(cls, redis_url: str, archive_uri: str, command: str, *, lease_timeout: float) -> SourceClaims:
        """Connected and checked now (StoreUnavailableError / StoreConfigError as for the seen-store)."""
        return cls(connect(redis_url), f"{archive_keys(archive_uri)}claims:{command}:",
                   worker=new_worker_id(), lease_timeout=lease_timeout)

    def heartbeat(self) -> None:
        self.client.set(self.alive_prefix + self.worker, "1", px=self.lease_timeout_ms)

    def close(self) -> None:
        self.client.delete(self.alive_prefix + self.worker)

    def claim(self, source: str) -> str:
        """"ok" when the source is this worker's now, "done", or the name of the live worker holding it."""
        answer = self._claim(keys=[self.prefix + "source:" + source], args=[self.worker, self.alive_prefix, DONE])
        return answer.decode() if isinstance(answer, bytes) else str(answer)

    def finished(self, source: str, summary: dict[str, Any]) -> None:
        """Done (imported or skipped as done before) is kept; a failure releases the source for a later run."""
        key = self.prefix + "source:" + source
        if summary.get("status") == "failed":
            self.client.delete(key)
        elif summary.get("status") in ("imported", "rebuilt", "skipped"):
            self.client.set(key, DONE, ex=DONE_TTL_S)

    def sources(self, sources: Iterable[str], stopped: Callable[[], bool] = lambda: False) -> Iterator[str]:
        """The sources this worker claims, in order; then those other workers held, as their holders die (until
        `stopped()`)."""
        held: list[str] = []
        for source in sources:
            answer = self.claim(source)
            if answer == "ok":
                yield source
            elif answer != DONE:
                held.append(source)
        while held and not stopped():
            still = []
            for source in held:
                answer = self.claim(source)
                if answer == "ok":
                    yield source
                elif answer != DONE:
                    still.append(source)
            held = still
            if held:
                time.sleep(RECHECK_S)


@contextmanager
def claimed_sources(claims: SourceClaims, sources: Iterable[str], *, stopped: Callable[[], bool],
                    on_done: Callable[[str, dict[str, Any]], None]
                    ) -> Iterator[tuple[Iterable[str], Callable[[str, dict[str, Any]], None]]]:
    """The sources this worker claims, and the hook that marks each one done (then calls `on_done`); the worker's
    heartbeat beats meanwhile, so the others take its claims over only if it dies."""
    heartbeat = Heartbeat(claims)
    heartbeat.start()

    def done(source: str, summary: dict[str, Any]) -> None:
        claims.finished(source, summary)
        on_done(source, summary)

    try:
        yield claims.sources(sources, stopped=stopped), done
    finally:
        heartbeat.stop()
