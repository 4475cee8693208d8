"""RSS / Atom / JSON Feed entries as (url, hints), via feedparser (which handles the format zoo)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time

import feedparser

from crawler.discovery.references import char_refs_repaired


class FeedError(ValueError):
    """A feed that yields nothing usable; the message says why."""


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None = None
    published_at: str | None = None

    def hints(self) -> dict[str, str]:
        found = {"title": self.title, "published_at": self.published_at}
        return {key: value for key, value in found.items() if value}


def _rfc3339(parsed: struct_time | None) -> str | None:
    if not parsed:
        return None
    return datetime(*parsed[:6], tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _json_feed(body: bytes) -> list[FeedEntry] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        return None
    listed = data.get("items")
    items = [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []
    return [FeedEntry(url=url, title=_text(item.get("title")), published_at=_text(item.get("date_published")))
            for item in items for url in [item.get("url") or item.get("external_url")] if url]


def _text(value: object) -> str | None:
    """A JSON feed's string field; anything else (a hostile feed's object or number) is no hint."""
    return value if isinstance(value, str) else None


def parse_feed(body: bytes, base_url: str) -> list[FeedEntry]:
    """Entries with a link; raise FeedError when the document is not a feed at all."""
    entries = _json_feed(body.strip()) if body.lstrip()[:1] == b"{" else None
    if entries is not None:
        return entries
    # feedparser's fallback parser raises, losing the whole feed, on a reference to no character
    parsed = feedparser.parse(char_refs_repaired(body), response_headers={"content-location": base_url})
    if not parsed.entries and parsed.bozo:
        raise FeedError(f"not a feed: {parsed.get('bozo_exception')}")
    return [FeedEntry(url=entry.link, title=entry.get("title"),
                      published_at=_rfc3339(entry.get("published_parsed") or entry.get("updated_parsed")))
            for entry in parsed.entries if entry.get("link")]
