"""Build the normalized article record (RECORDS.md) from extracted content and its capture.

Pure: no Scrapy, no I/O besides reading the bundled JSON Schema once.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from pipelines.extract.urls import normalize_url, registered_domain
from pipelines.extract.version import EXTRACTOR_VERSION
from pipelines.records.simhash import simhash_hex
from pipelines.records.types import Discovery, Extractor, Paywall, Record, WarcPointer
from pipelines.times import rfc3339

SCHEMA_VERSION = 3  # 2: language is the primary subtag (language_tag the full tag), section_raw; 3: versions, rendered


class InvalidRecordError(ValueError):
    """A record that breaks the schema: never written (the message names the URL and the field)."""


@dataclass(frozen=True)
class Capture:
    """What the crawl knows about one fetched article page."""

    url: str
    requested_url: str
    fetched_at: datetime
    http_status: int
    warc: WarcPointer
    site: str
    crawl_id: str
    discovery: Discovery = field(default_factory=lambda: Discovery(via="link", source=None, hints={}))
    article_signals: tuple[str, ...] = ()
    rendered: bool = False  # the page is the DOM a browser rendered, not the document as received


def sha1_hex(text: str) -> str:
    """Hex SHA-1 of UTF-8 text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def capture_id(record_id: str) -> str:
    """A WARC-Record-ID without its `<urn:uuid:` wrapper."""
    return record_id.strip("<>").removeprefix("urn:uuid:")


def build_record(content: dict[str, Any], capture: Capture) -> Record:
    """Merge `extract_article` output with capture facts into a schema-valid record."""
    canonical = content.get("canonical_url") or normalize_url(capture.url)
    text = content.get("text") or ""
    return {
        "schema_version": SCHEMA_VERSION,
        "id": sha1_hex(canonical),
        # this capture: the revisit record when the payload was deduplicated (`warc` then points at the original)
        "capture_id": capture_id((capture.warc.get("revisit") or capture.warc)["record_id"]),
        "url": capture.url,
        "requested_url": capture.requested_url,
        "canonical_url": canonical,
        "site": capture.site,
        "domain": registered_domain(capture.url),
        "fetched_at": rfc3339(capture.fetched_at),
        "http_status": capture.http_status,
        "title": content.get("title") or "",
        "authors": list(content.get("authors") or []),
        "published_at": content.get("published_at"),
        "modified_at": content.get("modified_at"),
        "date_source": content.get("date_source"),
        "language": content.get("language"),
        "language_tag": content.get("language_tag"),
        "section": content.get("section"),
        "section_raw": content.get("section_raw"),
        "tags": list(content.get("tags") or []),
        "description": content.get("description"),
        "image": content.get("image"),
        "site_name": content.get("site_name"),
        "text": text,
        "word_count": int(content.get("word_count") or 0),
        "paywall": content.get("paywall") or Paywall(detected=False, signals=[]),
        "article_signals": list(capture.article_signals),
        "rendered": capture.rendered,
        "text_sha1": content.get("text_sha1") or sha1_hex(text),  # computed by the worker (records.page)
        "simhash": content.get("simhash") or simhash_hex(text),
        "duplicate_of": None,
        "discovery": capture.discovery,
        "warc": WarcPointer(**capture.warc),
        "crawl_id": capture.crawl_id,
        "extractor": Extractor(name="newsarchive", version=EXTRACTOR_VERSION),
        # a first version; the crawl's version tracking (crawler.item_pipelines.VersionPipeline) sets later ones
        "version": 1,
        "previous_id": None,
        "changed_at": None,
        "changes": None,
    }


def rekeyed(record: Record) -> Record:
    """The record with its own URL as canonical URL (and the id that follows), when its canonical tag names
    another article's URL (pipelines.state.dedup.RecordIds)."""
    canonical = normalize_url(record["url"])
    return {**record, "canonical_url": canonical, "id": sha1_hex(canonical)}


def standalone_record(html: bytes, url: str, *, content_type: str | None = None) -> dict[str, Any]:
    """A record-shaped view of one page without a crawl (`newsarchive extract`): the fields that depend only
    on the page, no capture, WARC or crawl fields."""
    from pipelines.extract.article import extract_article  # not at the top: the crawl process writes records
    from pipelines.extract.classify import classify_page  # and never extracts (pipelines.records.page)
    from pipelines.extract.document import parse_html

    content = extract_article(html, url, content_type=content_type)
    document = parse_html(html, content_type=content_type)
    is_article, signals = classify_page(document, url) if document is not None else (False, ["empty"])
    return {
        "schema_version": SCHEMA_VERSION,
        "id": sha1_hex(content["canonical_url"]),
        "url": url,
        "domain": registered_domain(url),
        **content,
        "is_article": is_article,
        "article_signals": signals,
        "text_sha1": sha1_hex(content["text"]),
        "simhash": simhash_hex(content["text"]),
        "extractor": Extractor(name="newsarchive", version=EXTRACTOR_VERSION),
    }


@cache
def record_schema() -> dict[str, Any]:
    """The JSON Schema of a record, shipped with the package (pipelines/records/schema.json)."""
    return json.loads(resources.files("pipelines.records").joinpath("schema.json").read_text("utf-8"))


@cache
def _validator() -> Any:
    schema = record_schema()
    return jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())


def validate_record(record: Record | dict[str, Any]) -> None:
    """Raise InvalidRecordError if the record breaks the schema (checked whenever a record is written)."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(record))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the record"
        raise InvalidRecordError(f"record of {record.get('url')!r}: {where}: {error.message}")
