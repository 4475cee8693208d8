"""`newsarchive export records` to JSONL and Parquet from a real demo crawl."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.records.export import parquet_schema
from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents
from tests.conftest import require, run_cli

try:
    import pyarrow.parquet as pq
except ImportError:  # until pyarrow is a project dependency
    pq = None

SCHEMA = Path(__file__).resolve().parent.parent / "pipelines" / "records" / "schema.json"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ArchiveContents]:
    archive = tmp_path_factory.mktemp("export") / "archive"
    result = run_cli("demo", env={"ARCHIVE_URI": str(archive)})
    assert result.returncode == 0, result.stderr[-2000:]
    return archive, ArchiveContents.read(open_store(str(archive)))


def test_jsonl_export_is_the_records(crawled: tuple[Path, ArchiveContents], tmp_path: Path) -> None:
    archive, contents = crawled
    output = tmp_path / "records.jsonl"
    result = run_cli("export", "records", "--format", "jsonl", "-o", str(output), "--archive", str(archive))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in output.read_text().splitlines()] == contents.records


def to_utc(moment: str) -> str:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_parquet_export_round_trips(crawled: tuple[Path, ArchiveContents], tmp_path: Path) -> None:
    archive, contents = crawled
    require(pq is not None, "pyarrow is not installed")
    output = tmp_path / "records.parquet"
    result = run_cli("export", "records", "--format", "parquet", "-o", str(output), "--archive", str(archive))
    assert result.returncode == 0, result.stderr
    table = pq.read_table(output)
    types = {name: table.schema.field(name).type for name in ("fetched_at", "published_at", "authors")}
    assert all(types[name].tz == "UTC" for name in ("fetched_at", "published_at")), types
    assert str(types["authors"].value_type) == "string", types
    rows = table.to_pylist()
    for row in rows:
        row["discovery"]["hints"] = json.loads(row["discovery"]["hints"])
        for name in ("fetched_at", "published_at", "modified_at"):  # the same instants, as timestamps
            row[name] = row[name] and row[name].isoformat().replace("+00:00", "Z")
    expected = [record | {name: record[name] and to_utc(record[name]) for name in ("fetched_at", "published_at",
                                                                                       "modified_at")}
                for record in contents.records]
    assert rows == expected


def test_parquet_schema_has_every_record_field() -> None:
    require(pq is not None, "pyarrow is not installed")
    assert parquet_schema().names == list(json.loads(SCHEMA.read_text())["properties"])


def test_unknown_format_and_empty_range(crawled: tuple[Path, ArchiveContents], tmp_path: Path) -> None:
    archive, _ = crawled
    bad = run_cli("export", "records", "--format", "csv", "-o", str(tmp_path / "x"), "--archive", str(archive))
    assert bad.returncode == 2
    output = tmp_path / "none.jsonl"
    none = run_cli("export", "records", "--format", "jsonl", "-o", str(output), "--from", "2999-01-01",
                   "--archive", str(archive))
    assert none.returncode == 0 and output.read_text() == ""


@pytest.mark.parametrize("command", [["records", "--format", "jsonl"], ["wacz"]])
def test_an_output_that_cannot_be_written_is_a_usage_error_naming_it(command: list[str], tmp_path: Path) -> None:
    """-o is checked before the archive is read: one line naming the path as given (not the partial file's
    name, no errno), exit 2 as for any bad argument."""
    archive = str(tmp_path / "archive")  # empty: the check comes first
    plain = tmp_path / "plain.txt"
    plain.write_text("a file, not a directory")
    for output, why in [(tmp_path, "is a directory"), (plain / "out", f"{plain} is not a directory")]:
        result = run_cli("export", *command, "-o", str(output), "--archive", archive)
        assert result.returncode == 2, result.stderr
        assert result.stderr == f"newsarchive: --output {output}: cannot write it: {why}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]
