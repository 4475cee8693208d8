"""The seen-store in Redis, shared by the processes of a distributed crawl (`REDIS_URL`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pipelines.state.redis_client import connect
from pipelines.state.seen import Validators, seen_key
from pipelines.state.versions import ArticleVersion, PageFetch, Tracked, parse_time
from pipelines.store.spool import Spool


class RedisSeenStore:
    """A Redis set of canonical URLs and a hash of validators, under a per-archive key prefix."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.seen_set = f"{prefix}seen"
        self.validators_hash = f"{prefix}validators"
        self.versions_hash = f"{prefix}versions"  # article id → its latest version (JSON)
        self.fetches_hash = f"{prefix}fetches"  # seen key → its latest fetch (JSON)

    @classmethod
    def from_url(cls, redis_url: str, prefix: str) -> RedisSeenStore:
        """Connected and checked now: an unreachable Redis stops the crawl before its first request."""
        return cls(connect(redis_url), prefix)

    def seen(self, url: str) -> bool:
        return bool(self.client.sismember(self.seen_set, seen_key(url)))

    def add(self, url: str, site: str) -> None:
        self.client.sadd(self.seen_set, seen_key(url))

    def flush(self) -> None:
        """Nothing waits: every mark is sent to Redis as it is made."""

    def validators(self, url: str) -> Validators:
        raw = self.client.hget(self.validators_hash, url)
        return Validators(**json.loads(raw)) if raw else Validators()

    def save_validators(self, url: str, validators: Validators) -> None:
        merged = validators.merged(self.validators(url))
        self.client.hset(self.validators_hash, url, json.dumps(asdict(merged)))

    def latest_version(self, article_id: str) -> ArticleVersion | None:
        raw = self.client.hget(self.versions_hash, article_id)
        return ArticleVersion.from_json(raw) if raw else None

    def save_version(self, version: ArticleVersion) -> None:
        known = self.latest_version(version.id)
        if known is None or known.version < version.version:
            self.client.hset(self.versions_hash, version.id, version.as_json())
        first = parse_time(version.fetched_at).timestamp()
        self.client.zadd(f"{self.prefix}tracked:{version.site}", {version.id: first}, nx=True)

    def save_fetch(self, fetch: PageFetch) -> None:
        known = self.last_fetch(fetch.url)
        if known is None or known.fetched_at < fetch.fetched_at:
            self.client.hset(self.fetches_hash, seen_key(fetch.url), json.dumps(asdict(fetch)))

    def last_fetch(self, url: str) -> PageFetch | None:
        raw = self.client.hget(self.fetches_hash, seen_key(url))
        return PageFetch(**json.loads(raw)) if raw else None

    def tracked(self, site: str, since: str) -> list[Tracked]:
        found = []
        for member, first in self.client.zrangebyscore(f"{self.prefix}tracked:{site}", parse_time(since).timestamp(),
                                                       "+inf", withscores=True):
            latest = self.latest_version(member.decode() if isinstance(member, bytes) else member)
            if latest is not None:
                found.append(Tracked(latest, datetime.fromtimestamp(first, UTC), self.last_fetch(latest.url)))
        return found

    def snapshot(self, spool: Spool, crawl_id: str) -> str | None:
        """Nothing to write: the state lives in Redis."""
        return None

    def close(self) -> None:
        self.client.close()
