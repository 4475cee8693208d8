"""Politeness across the workers of a shared crawl: one next-allowed time per host, and the run's blocked sites.

Each worker knows a host's delay (the site's `delay`, robots.txt `Crawl-delay`, DOWNLOAD_DELAY); what makes N
workers no harder on a site than one is that they take turns on one clock. `turn` is one Lua script on the Redis
server's own time (no two hosts' clocks are compared): granted when the host's next-allowed time has come and no
other request to it is on its way; `done` (the response's headers came, or the request failed) sets the next-
allowed time one interval after that moment. So the next request reaches the server at least the delay after the
previous one did, however long a worker took from its turn to the wire. `hold` (Retry-After) only ever pushes that
time later. A site one worker finds blocking the crawl is blocked for every worker of the run, and a host's
robots.txt is fetched by one worker of the run and read from here by the others.
"""

from __future__ import annotations

from typing import Any

# → 0 when the turn is ours (this request is now the host's one on its way: KEYS[2]), -1 while another
# worker's request to the host is on its way, else milliseconds until the next-allowed time.
TURN = """
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local allowed = tonumber(redis.call('GET', KEYS[1]) or '0')
if ms >= allowed then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 0
end
return allowed - ms
"""
# The request of turn ARGV[1] was answered (or failed): the next may leave `interval` ms from now.
DONE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
local now = redis.call('TIME')
local next_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[2])
if next_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], next_ms, 'PX', tonumber(ARGV[2]) + 600000)
end
return 1
"""
HOLD = """
local now = redis.call('TIME')
local until_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 600000)
end
return 1
"""

# → milliseconds until the host's next-allowed time (0: now), taking no turn.
HELD = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local allowed = tonumber(redis.call('GET', KEYS[1]) or '0')
if allowed > ms then return allowed - ms end
return 0
"""


class SharedPoliteness:
    """Per-host turns (keys under `prefix`, shared by every crawl of the archive) and the run's blocked sites."""

    def __init__(self, client: Any, prefix: str, blocked_key: str, robots_prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self.blocked_key = blocked_key
        self.robots_prefix = robots_prefix or blocked_key + ":robots:"
        self._turn = client.register_script(TURN)
        self._done = client.register_script(DONE)
        self._hold = client.register_script(HOLD)
        self._held = client.register_script(HELD)

    def turn(self, host: str, token: str, *, hold_for: float) -> float | None:
        """0 when the request `token` may go to `host` now; None while another request to it is on its way (at
        most `hold_for` seconds, should its worker die); else seconds until the host's next-allowed time."""
        wait = int(self._turn(keys=[self.prefix + host, self.prefix + host + ":on-its-way"],
                              args=[token, max(1, int(hold_for * 1000))]))
        return None if wait < 0 else wait / 1000

    def done(self, host: str, token: str, interval: float) -> None:
        """The request of turn `token` was answered or failed: the next may go `interval` seconds from now."""
        self._done(keys=[self.prefix + host, self.prefix + host + ":on-its-way"],
                   args=[token, max(0, int(interval * 1000))])

    def hold(self, host: str, seconds: float) -> None:
        """No request to `host` from any worker for `seconds` (Retry-After)."""
        self._hold(keys=[self.prefix + host], args=[max(0, int(seconds * 1000))])

    def held_for(self, host: str) -> float:
        """Seconds until `host`'s next-allowed time (0: now), for a host whose requests take no turns."""
        return int(self._held(keys=[self.prefix + host])) / 1000

    def block(self, site: str) -> None:
        self.client.sadd(self.blocked_key, site)

    def blocked(self, site: str) -> bool:
        return bool(self.client.sismember(self.blocked_key, site))

    # robots.txt, fetched by one worker of the run per host and read by the others

    def claim_robots(self, netloc: str, seconds: float) -> bool:
        """True for the one worker that fetches the host's robots.txt (for `seconds`, then another may)."""
        return bool(self.client.set(self.robots_prefix + "fetching:" + netloc, "1", nx=True,
                                    px=max(1, int(seconds * 1000))))

    def robots_pending(self, netloc: str) -> bool:
        return bool(self.client.exists(self.robots_prefix + "fetching:" + netloc))

    def save_robots(self, netloc: str, body: bytes) -> None:
        self.client.set(self.robots_prefix + "body:" + netloc, body)

    def robots(self, netloc: str) -> bytes | None:
        body = self.client.get(self.robots_prefix + "body:" + netloc)
        return bytes(body) if body is not None else None

    def release_robots(self, netloc: str) -> None:
        """The fetch failed: another worker may try."""
        self.client.delete(self.robots_prefix + "fetching:" + netloc)
