"""Records files: one gzip member per record, `.open` until complete, keyed like their WARC."""

import gzip
import json
from pathlib import Path

from pipelines.layout import records_key_for
from pipelines.records.files import RecordsFile


def test_key_follows_the_warc() -> None:
    key = "warc/2026/11/21/NEWSARCHIVE-20261121050600-00003-host.warc.gz"
    assert records_key_for(key) == "records/dt=2026-11-21/NEWSARCHIVE-20261121050600-00003-host.jsonl.gz"


def test_open_until_closed_and_every_line_readable(tmp_path: Path) -> None:
    path = tmp_path / "records" / "r.jsonl.gz"
    records = RecordsFile(path)
    records.append({"id": "a", "text": "ü"})
    records.append({"id": "b"})
    assert not path.exists() and (tmp_path / "records" / "r.jsonl.gz.open").exists()
    records.close()
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b"]
    assert not (tmp_path / "records" / "r.jsonl.gz.open").exists()
