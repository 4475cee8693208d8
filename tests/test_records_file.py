"""Records files: one gzip member per record, `.open` until complete, keyed like their WARC."""

import gzip
import json
from pathlib import Path

import pytest

from pipelines.extract.article import empty_result
from pipelines.layout import records_key_for
from pipelines.records.build import SCHEMA_VERSION, InvalidRecordError, build_record, record_schema
from pipelines.records.files import RECORD_CONTENT_TYPE, RecordsFile, record_json
from pipelines.records.types import Record
from tests.test_records import capture


def record(text: str) -> Record:
    content = empty_result("https://h.example/a") | {"text": text}
    return build_record(content, capture())


def test_key_follows_the_warc() -> None:
    key = "warc/2026/11/21/NEWSARCHIVE-20261121050600-00003-host.warc.gz"
    assert records_key_for(key) == "records/dt=2026-11-21/NEWSARCHIVE-20261121050600-00003-host.jsonl.gz"


def test_open_until_closed_and_every_line_readable(tmp_path: Path) -> None:
    path = tmp_path / "records" / "r.jsonl.gz"
    records = RecordsFile(path)
    records.append(record("ü"))
    records.append(record("b"))
    assert not path.exists() and (tmp_path / "records" / "r.jsonl.gz.open").exists()
    records.close()
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["ü", "b"]
    assert not (tmp_path / "records" / "r.jsonl.gz.open").exists()


def test_a_record_that_breaks_the_schema_is_never_written(tmp_path: Path) -> None:
    records = RecordsFile(tmp_path / "r.jsonl.gz")
    with pytest.raises(InvalidRecordError, match="http_status"):
        records.append(record("x") | {"http_status": "200"})  # type: ignore[typeddict-item]
    records.close()
    assert records.count == 0 and (tmp_path / "r.jsonl.gz").read_bytes() == b""


def test_a_record_is_the_same_bytes_in_its_file_and_its_warc_metadata_record(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.gz"
    records = RecordsFile(path)
    records.append(one := record("ü"))
    records.close()
    assert gzip.decompress(path.read_bytes()) == record_json(one) + b"\n"
    assert "ü" in record_json(one).decode("utf-8"), "UTF-8, not \\u escapes"
    schema = record_schema()
    assert f'application/json; profile="{schema["$id"]}"' == RECORD_CONTENT_TYPE
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
