"""Metadata records of a real demo crawl: one per capture (what the crawl knew), one per article (its record).

A WARC alone must be enough to rebuild every record, and to tell how each page was found and fetched.
(The redirect chain field is checked in test_warc_capture: the demo's redirects lead to pages already seen.)
"""

import json
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.records.files import RECORD_CONTENT_TYPE
from pipelines.store.factory import open_store
from pipelines.warc.lint import lint_warc
from pipelines.warc.records import warc_fields
from tests.archive_checks import ArchiveContents
from tests.conftest import run_cli

CAPTURE_TYPES = ("response", "revisit")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("metadata")
    result = run_cli("demo", env={"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool")})
    assert result.returncode == 0, result.stderr[-3000:]
    records = []
    for path in sorted((root / "archive").rglob("*.warc.gz")):
        assert lint_warc(path) == [], path
        with path.open("rb") as fh:
            records += [(r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(fh)]
    return {"warc": records, "archive": ArchiveContents.read(open_store(str(root / "archive")))}


def metadata_about(warc: list[tuple[Any, bytes]]) -> dict[str, list[tuple[Any, bytes]]]:
    """Metadata records by the record id they refer to."""
    found: dict[str, list[tuple[Any, bytes]]] = {}
    for headers, body in warc:
        if headers.get_header("WARC-Type") == "metadata":
            found.setdefault(headers.get_header("WARC-Refers-To"), []).append((headers, body))
    return found


def fields(body: bytes) -> list[tuple[str, str]]:
    return [tuple(line.split(": ", 1)) for line in body.decode().splitlines() if line]  # type: ignore[misc]


def test_every_capture_has_a_warc_fields_metadata_record(demo: dict[str, Any]) -> None:
    about = metadata_about(demo["warc"])
    captures = [h for h, _ in demo["warc"] if h.get_header("WARC-Type") in CAPTURE_TYPES]
    assert captures
    for headers in captures:
        (meta,) = [m for m in about[headers.get_header("WARC-Record-ID")]
                   if m[0].get_header("Content-Type") == "application/warc-fields"]
        assert meta[0].get_header("WARC-Target-URI") == headers.get_header("WARC-Target-URI")
        assert meta[0].get_header("WARC-Date") == headers.get_header("WARC-Date")
        assert meta[0].get_header("WARC-Payload-Digest") is None
        names = dict(fields(meta[1]))
        assert int(names["fetchTimeMs"]) >= 0


def test_capture_metadata_says_how_the_page_was_found(demo: dict[str, Any]) -> None:
    captured = [fields(body) for h, body in demo["warc"] if h.get_header("WARC-Type") == "metadata"
                and h.get_header("Content-Type") == "application/warc-fields"]
    linked = [f for f in captured if ("discovery", "link") in f]
    assert linked and all(any(name == "via" and value.startswith("http") for name, value in f) for f in linked)


def test_every_record_can_be_rebuilt_from_the_warc(demo: dict[str, Any]) -> None:
    about = metadata_about(demo["warc"])
    records = demo["archive"].records
    assert records
    for record in records:
        (meta,) = [m for m in about[f"<urn:uuid:{record['capture_id']}>"]
                   if m[0].get_header("Content-Type") == RECORD_CONTENT_TYPE]
        assert meta[0].get_header("WARC-Target-URI") == record["url"]
        assert meta[0].get_header("WARC-Payload-Digest") is None
        assert json.loads(meta[1]) == record


def test_warc_fields_values_stay_on_one_line() -> None:
    assert warc_fields([("via", "http://a/\r\nInjected: x"), ("fetchTimeMs", "3")]) == (
        b"via: http://a/ Injected: x\r\nfetchTimeMs: 3\r\n")
