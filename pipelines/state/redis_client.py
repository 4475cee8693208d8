"""The one way the crawl's state connects to Redis (REDIS_URL): checked at once, failures as store errors.

The seen-store and the dedup index both live in Redis in a distributed crawl; whichever opens first finds
out whether Redis is there, so an unreachable or misconfigured Redis stops the crawl before its first
request with one line (StoreUnavailableError: run again once it is back; StoreConfigError: fix REDIS_URL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipelines.store.base import StoreConfigError, StoreUnavailableError, archive_id, redact_uri

if TYPE_CHECKING:
    import redis


def archive_keys(archive_uri: str) -> str:
    """`newsarchive:<hash of the archive URI>:`, the prefix of every Redis key of one archive (the same archive
    spelled differently shares it; two archives on one Redis never meet)."""
    return f"newsarchive:{archive_id(archive_uri)}:"


# A shared crawl rides out a short Redis outage (a restart, a failover): every command is retried, with growing
# pauses, for about as long as a worker's lease lasts (DISTRIBUTED_LEASE_TIMEOUT's default); past that the error
# reaches the crawl. Without a socket timeout a Redis that stopped answering (a frozen host, a half-open TCP
# connection) left the worker blocked on a read for good.
SOCKET_TIMEOUT = 10.0  # seconds, to connect and for each reply
OUTAGE_RETRIES = 30
OUTAGE_BACKOFF_CAP = 2.0  # seconds between two tries at most


def riding_out_outages() -> dict[str, Any]:
    """redis-py client options: timeouts, and retries through a short outage (also given to scrapy-redis's
    connection, REDIS_PARAMS)."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT,
            "retry": Retry(ExponentialBackoff(cap=OUTAGE_BACKOFF_CAP, base=0.05), OUTAGE_RETRIES),
            "retry_on_error": [redis.ConnectionError, redis.TimeoutError]}


def connect(redis_url: str) -> redis.Redis:
    """A client of `redis_url` that has answered a PING, and retries through a short outage."""
    import redis  # only distributed crawls need it
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    where = f"REDIS_URL {redact_uri(redis_url)}"
    try:
        # Asked once at start-up: a Redis that is not there now stops the crawl at once, not after the retries.
        with redis.Redis.from_url(redis_url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT,
                                  retry=Retry(NoBackoff(), 0)) as probe:
            probe.ping()
        client = redis.Redis.from_url(redis_url, **riding_out_outages())
    except ValueError as error:
        raise StoreConfigError(f"{where}: {error}; use redis://[:password@]host:port/db") from None
    except (redis.AuthenticationError, redis.ResponseError) as error:
        raise StoreConfigError(f"{where}: Redis refused the connection: {error}; check the password and database "
                               "in REDIS_URL") from None
    except redis.RedisError as error:
        reason = str(error).rstrip(".")
        raise StoreUnavailableError(f"{where}: cannot reach Redis: {reason}; start it or fix REDIS_URL") from None
    return client
