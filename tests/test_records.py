"""The record builder: every RECORDS.md key, schema-valid, pointing at its capture."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipelines.extract.article import empty_result
from pipelines.records.build import Capture, InvalidRecordError, build_record, capture_id, validate_record
from pipelines.times import rfc3339

WARC = {"key": "warc/2026/11/21/NEWSARCHIVE-20261121050600-00000-host.warc.gz",
        "filename": "NEWSARCHIVE-20261121050600-00000-host.warc.gz", "offset": 1234, "length": 987,
        "record_id": "<urn:uuid:6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f>", "payload_digest": "sha1:ABCDEF"}
RECORDS_MD_KEYS = {
    "schema_version", "id", "capture_id", "url", "requested_url", "canonical_url", "site", "domain", "fetched_at",
    "http_status", "title", "authors", "published_at", "modified_at", "date_source", "language", "language_tag",
    "section", "section_raw", "tags",
    "description", "image", "site_name", "text", "word_count", "paywall", "article_signals", "rendered", "text_sha1",
    "simhash", "duplicate_of", "discovery", "warc", "crawl_id", "extractor", "version", "previous_id", "changed_at",
    "changes",
}


def capture(**changes: object) -> Capture:
    values = {"url": "https://www.herald.co.uk/world/2024/05/17/story?utm_source=x",
              "requested_url": "https://herald.co.uk/story/1",
              "fetched_at": datetime(2026, 11, 21, 5, 6, 7, tzinfo=UTC),
              "http_status": 200, "warc": WARC, "site": "herald", "crawl_id": "20261121T050600Z-abcd1234",
              "article_signals": ("og:type=article",)}
    return Capture(**(values | changes))  # type: ignore[arg-type]


def test_record_has_every_key_and_validates() -> None:
    content = empty_result("https://www.herald.co.uk/world/2024/05/17/story")
    content.update(title="Story", text="First paragraph.\n\nSecond one.", word_count=4, authors=["Ann Lee"])
    record = build_record(content, capture())
    assert set(record) == RECORDS_MD_KEYS
    validate_record(record)
    assert record["capture_id"] == "6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f"
    assert record["domain"] == "herald.co.uk"
    assert record["fetched_at"] == "2026-11-21T05:06:07Z"
    assert record["warc"] == WARC and record["warc"] is not WARC
    assert len(record["simhash"]) == 16 and len(record["text_sha1"]) == 40


def test_record_id_is_sha1_of_canonical_url_without_tracking() -> None:
    content = empty_result("")
    content["canonical_url"] = ""
    a = build_record(content, capture())
    b = build_record(content, capture(url="https://www.herald.co.uk/world/2024/05/17/story?utm_medium=y"))
    assert a["id"] == b["id"]
    assert "utm_" not in a["canonical_url"]


def test_schema_rejects_missing_key_and_bad_pointer() -> None:
    record = build_record(empty_result("https://herald.co.uk/a"), capture())
    broken = dict(record)
    del broken["paywall"]
    with pytest.raises(InvalidRecordError):
        validate_record(broken)
    with pytest.raises(InvalidRecordError):
        validate_record(record | {"warc": WARC | {"length": 0}})
    with pytest.raises(InvalidRecordError):
        validate_record(record | {"published_at": "yesterday"})


def test_rfc3339_is_utc_with_offset() -> None:
    cet = timezone(timedelta(hours=1))
    assert rfc3339(datetime(2024, 1, 1, 12, 0, tzinfo=cet)) == "2024-01-01T11:00:00Z"
    assert rfc3339(datetime(2024, 1, 1, 12, 0)) == "2024-01-01T12:00:00Z"
    assert capture_id("<urn:uuid:abc>") == "abc"
