"""`newsarchive export wacz|records`: the archive as one file for replay tools or for analysis."""

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from crawler.cli_common import (
    ArchiveOption,
    FromOption,
    JsonOption,
    ReadableTyper,
    ToOption,
    app,
    command_settings,
    day_range,
    fail,
    failing_on,
    open_archive,
    print_json,
)
from crawler.exit_codes import ExitCode
from pipelines.store.base import StoreError

export_app = ReadableTyper(help="Export the archive: a WACZ for replay tools, or the records as JSONL/Parquet.",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")

OutputOption = Annotated[Path, typer.Option("--output", "-o", help="The file to write (replaced when complete).")]


def check_output(output: Path) -> None:
    """`-o` names a file this process can create: said before the archive is read, as a bad argument (exit 2),
    rather than as an OSError about the partial file once the export is under way. Nothing is created here."""
    if output.is_dir():
        raise fail(ExitCode.USAGE, f"--output {output}: cannot write it: is a directory")
    existing = next(parent for parent in output.parents if parent.exists())  # created by the export if need be
    if not existing.is_dir():
        raise fail(ExitCode.USAGE, f"--output {output}: cannot write it: {existing} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise fail(ExitCode.USAGE, f"--output {output}: cannot write it: {error.strerror}") from error


class RecordsFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


@export_app.command("wacz")
def export_wacz_command(
    output: OutputOption,
    date_from: FromOption = None,
    date_to: ToOption = None,
    as_json: JsonOption = False,
    archive: ArchiveOption = None,
) -> None:
    """Write the WARCs filed in the date range, their index and a page list of the articles as a WACZ 1.1.1."""
    from pipelines.warc.wacz import export_wacz

    days = day_range(date_from, date_to)
    settings = command_settings(archive)  # the environment first, as every command
    check_output(output)
    store = open_archive(settings)
    with failing_on(StoreError, ValueError, OSError):
        counts = export_wacz(store, output, days)
    if as_json:
        print_json({"output": str(output), **counts})
        return
    typer.echo(f"{output}: {counts['warcs']} WARC file(s), {counts['pages']} page(s), {counts['bytes']:,} bytes")


@export_app.command("records")
def export_records_command(
    output: OutputOption,
    fmt: Annotated[RecordsFormat, typer.Option("--format", help="jsonl (one record per line) or parquet.")],
    date_from: FromOption = None,
    date_to: ToOption = None,
    as_json: JsonOption = False,
    archive: ArchiveOption = None,
) -> None:
    """Write the records filed in the date range to one file (Parquet schema: docs/operations.md)."""
    from pipelines.records.export import export_records

    days = day_range(date_from, date_to)
    settings = command_settings(archive)  # the environment first, as every command
    check_output(output)
    store = open_archive(settings)
    with failing_on(StoreError, ValueError, OSError):
        count = export_records(store, output, fmt.value, days)
    if as_json:
        print_json({"output": str(output), "format": fmt.value, "records": count})
        return
    typer.echo(f"{output}: {count} record(s)")
