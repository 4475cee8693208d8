"""Commands that read the archive back: `show`, `warc verify`, `warc ls`."""

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from crawler.cli_common import (
    ArchiveOption,
    FromOption,
    ReadableTyper,
    ToOption,
    app,
    command_settings,
    day_range,
    fail,
    failing_on,
    open_archive,
)
from crawler.exit_codes import ExitCode
from pipelines.store.base import ObjectStore, StoreError, check_key


def pretty(record: dict[str, Any]) -> str:
    """The record as an operator wants to read it: where and when it came from, then the text."""
    lines = [record["title"] or "(no title)", f"url:        {record['url']}"]
    for field in ("requested_url", "canonical_url"):
        if record[field] != record["url"]:
            lines.append(f"{field.split('_')[0] + ':':<11} {record[field]}")
    published = f"{record['published_at']} ({record['date_source']})" if record["published_at"] else "unknown"
    paywall = record["paywall"]
    lines += [
        f"fetched:    {record['fetched_at']}  HTTP {record['http_status']}  crawl {record['crawl_id']}",
        f"published:  {published}",
        f"authors:    {', '.join(record['authors']) or '-'}",
        f"site:       {record['site']} ({record['site_name'] or record['domain']})  language {record['language']}"
        f"  {record['word_count']} words",
        f"paywall:    {'yes: ' + ', '.join(paywall['signals']) if paywall['detected'] else 'no'}",
    ]
    if record["duplicate_of"]:
        lines.append(f"duplicate:  of {record['duplicate_of']}")
    warc = record["warc"]
    lines += [f"warc:       {warc['key']} @{warc['offset']}+{warc['length']}", "", record["text"]]
    return "\n".join(lines)


@app.command()
def show(
    url: Annotated[str, typer.Argument(help="The article URL: as fetched, as first requested, or canonical.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Print the archived HTTP response exactly as received: status line, headers and body "
        "(still gzip/br if the server sent it so), read from the WARC with one ranged read.")] = False,
    archive: ArchiveOption = None,
) -> None:
    """Show the latest record of a URL (exit 4 if the archive has none).

    Records are found by scanning records/ newest day first: fine for small archives, slow for huge ones.
    """
    from pipelines.records.lookup import CaptureMismatchError, archived_response, latest_record

    settings = command_settings(archive)
    if as_json and raw:
        raise fail(ExitCode.USAGE, "--json and --raw exclude each other")
    store = open_archive(settings)
    try:
        record = latest_record(store, url)
        if record is None:
            raise fail(ExitCode.NOT_FOUND, f"no record of {url} in {store.uri}")
        if raw:
            sys.stdout.buffer.write(archived_response(store, record))
            sys.stdout.flush()
        elif as_json:
            typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        else:
            typer.echo(pretty(record))
    except (StoreError, CaptureMismatchError) as error:
        raise fail(ExitCode.FAILURE, str(error)) from error


warc_app = ReadableTyper(help="Inspect and check the archive's WARC files.", no_args_is_help=True)
app.add_typer(warc_app, name="warc")


def fetch_key(target: str, store: ObjectStore, scratch: Path) -> Path:
    """Download an archive key to the scratch directory (it is not a local file)."""
    from pipelines.records.lookup import download

    try:
        key = check_key(target)
    except StoreError as error:
        raise fail(ExitCode.NOT_FOUND, f"{target}: no such file, and not an archive key") from error
    dest = scratch / Path(key).name
    if download(store, key, dest) is None:
        raise fail(ExitCode.NOT_FOUND, f"{target}: no such file, nor key in {store.uri}")
    return dest


@warc_app.command("verify")
def warc_verify(
    targets: Annotated[list[str], typer.Argument(
        help="WARC files: local paths, or keys in the archive (warc/YYYY/MM/DD/NAME.warc.gz).", metavar="FILE|KEY")],
    archive: ArchiveOption = None,
) -> None:
    """Check WARC files: every digest (as `warcio check`) plus the lint replay needs (exit 1 on any fault)."""
    from pipelines.records.lookup import digest_problems
    from pipelines.warc.lint import lint_warc

    settings = command_settings(archive)
    faulty = 0
    store: ObjectStore | None = None
    with tempfile.TemporaryDirectory(prefix="newsarchive-verify-") as scratch:
        for target in targets:
            path = Path(target)
            if not path.is_file():
                store = store or open_archive(settings)
                try:
                    path = fetch_key(target, store, Path(scratch))
                except StoreError as error:
                    raise fail(ExitCode.FAILURE, str(error)) from error
            problems = [f"digest: {p}" for p in digest_problems(path)] + [f"lint: {p}" for p in lint_warc(path)]
            if problems:
                faulty += 1
                typer.echo(f"FAIL {target}: {len(problems)} problem(s)")
                for problem in problems:
                    typer.echo(f"  {problem}")
            else:
                typer.echo(f"ok   {target}: digests and lint pass")
    if faulty:
        raise fail(ExitCode.FAILURE, f"{faulty} of {len(targets)} WARC file(s) failed verification")


@warc_app.command("ls")
def warc_ls(
    date_from: FromOption = None,
    date_to: ToOption = None,
    archive: ArchiveOption = None,
) -> None:
    """List the archive's WARC files (day filed, size in bytes, key), oldest first."""
    from pipelines.layout import key_day
    from pipelines.records.lookup import warc_objects

    days = day_range(date_from, date_to)
    store = open_archive(command_settings(archive))
    with failing_on(StoreError):
        objects = warc_objects(store, days)
    for obj in objects:
        typer.echo(f"{key_day(obj.key)}  {obj.size:>14,}  {obj.key}")
    typer.echo(f"{len(objects)} WARC file(s), {sum(o.size for o in objects):,} bytes", err=True)
