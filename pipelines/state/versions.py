"""What the crawl state keeps of articles whose sites track versions (docs/versions.md): each version's title and
extracted text (the next fetch is compared with them) and each fetch of the page (when, and the validators the
server gave, for the next conditional GET).

Both tables only grow, one row per version and one per fetch, because the state's versions in the archive are
merged as a union (pipelines.state.sync): a row that was updated in place would lose to an older copy. The latest
row wins when read. Texts are stored compressed, and only for the sites that track versions.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipelines.records.types import record_version

VERSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS article_versions (id TEXT, version INTEGER, url TEXT, site TEXT, capture_id TEXT,
  fetched_at TEXT, title TEXT, text BLOB, PRIMARY KEY (id, version));
CREATE INDEX IF NOT EXISTS article_versions_site ON article_versions (site, fetched_at);
CREATE TABLE IF NOT EXISTS page_fetches (url TEXT, fetched_at TEXT, etag TEXT, last_modified TEXT,
  PRIMARY KEY (url, fetched_at));
"""


@dataclass(frozen=True)
class ArticleVersion:
    """One version of an article as the state keeps it: enough to compare the next fetch with."""

    id: str  # the record's id (its canonical URL's SHA-1): the same for every version
    version: int
    url: str  # as fetched: where a revisit asks for it
    site: str
    capture_id: str
    fetched_at: str  # RFC 3339
    title: str
    text: str

    @classmethod
    def of_record(cls, record: Mapping[str, Any]) -> ArticleVersion:
        return cls(id=record["id"], version=record_version(record), url=record["url"], site=record["site"],
                   capture_id=record["capture_id"], fetched_at=record["fetched_at"], title=record.get("title") or "",
                   text=record.get("text") or "")

    def row(self) -> tuple[Any, ...]:
        return (self.id, self.version, self.url, self.site, self.capture_id, self.fetched_at, self.title,
                zlib.compress(self.text.encode("utf-8")))

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ArticleVersion:
        article_id, version, url, site, capture_id, fetched_at, title, text = row
        return cls(article_id, version, url, site, capture_id, fetched_at, title, zlib.decompress(text).decode("utf-8"))

    def as_json(self) -> str:
        return json.dumps({**self.__dict__, "text": None, "ztext": zlib.compress(self.text.encode()).hex()})

    @classmethod
    def from_json(cls, raw: str | bytes) -> ArticleVersion:
        fields = json.loads(raw)
        fields["text"] = zlib.decompress(bytes.fromhex(fields.pop("ztext"))).decode("utf-8")
        return cls(**fields)


@dataclass(frozen=True)
class PageFetch:
    """A fetch of a tracked article page: when, and the validators for the next conditional GET."""

    url: str
    fetched_at: str  # RFC 3339
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Tracked:
    """An article a revisit may be due for: its latest version, first archived when, last fetched when."""

    latest: ArticleVersion
    first_archived: datetime
    last_fetch: PageFetch | None

    @property
    def last_fetched(self) -> datetime:
        times = [self.latest.fetched_at] + ([self.last_fetch.fetched_at] if self.last_fetch else [])
        return max(parse_time(t) for t in times)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
