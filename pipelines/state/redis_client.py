"""The one way the crawl's state connects to Redis (REDIS_URL): checked at once, failures as store errors.

The seen-store and the dedup index both live in Redis in a distributed crawl; whichever opens first finds
out whether Redis is there, so an unreachable or misconfigured Redis stops the crawl before its first
request with one line (StoreUnavailableError: run again once it is back; StoreConfigError: fix REDIS_URL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.store.base import StoreConfigError, StoreUnavailableError, archive_id, redact_uri

if TYPE_CHECKING:
    import redis


def archive_keys(archive_uri: str) -> str:
    """`newsarchive:<hash of the archive URI>:`, the prefix of every Redis key of one archive (the same archive
    spelled differently shares it; two archives on one Redis never meet)."""
    return f"newsarchive:{archive_id(archive_uri)}:"


def connect(redis_url: str) -> redis.Redis:
    """A client of `redis_url` that has answered a PING."""
    import redis  # only distributed crawls need it

    where = f"REDIS_URL {redact_uri(redis_url)}"
    try:
        client = redis.Redis.from_url(redis_url)
        client.ping()
    except ValueError as error:
        raise StoreConfigError(f"{where}: {error}; use redis://[:password@]host:port/db") from None
    except (redis.AuthenticationError, redis.ResponseError) as error:
        raise StoreConfigError(f"{where}: Redis refused the connection: {error}; check the password and database "
                               "in REDIS_URL") from None
    except redis.RedisError as error:
        reason = str(error).rstrip(".")
        raise StoreUnavailableError(f"{where}: cannot reach Redis: {reason}; start it or fix REDIS_URL") from None
    return client
