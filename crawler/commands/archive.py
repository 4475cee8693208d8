"""Commands that read the archive back: `show`, `warc verify`, `warc ls`."""

import sys
import tempfile
import zlib
from pathlib import Path
from typing import Annotated, Any

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
from pipelines.records.types import record_version
from pipelines.store.base import ObjectStore, StoreError, check_key
from pipelines.store.members import GZIP_MAGIC


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
    if record_version(record) > 1:
        lines.append(f"version:    {record['version']}, changed {record['changed_at']} (newsarchive history URL)")
    warc = record["warc"]
    lines += [f"warc:       {warc['key']} @{warc['offset']}+{warc['length']}", "", record["text"]]
    return "\n".join(lines)


TEXT_TYPES = ("text/", "application/json", "application/xml", "application/rss+xml", "application/atom+xml",
              "application/xhtml+xml", "application/javascript", "application/ld+json")


def pretty_capture(capture: Any) -> str:
    where = f"{capture.key} @{capture.offset}+{capture.length}"
    kind = "revisit" if capture.is_revisit else (capture.mime or "?")
    return f"  {capture.captured_at}  HTTP {capture.status or '-'}  {kind:<24} {where}"


def refuse_binary_to_terminal(body: bytes, content_type: str | None, force: bool) -> None:
    """Binary bytes garble a terminal: write them only into a pipe or a file, or when asked to."""
    if force or not sys.stdout.isatty():
        return
    textual = (content_type or "").split(";")[0].strip().lower().startswith(TEXT_TYPES)
    if not textual or b"\x00" in body[:8192]:
        raise fail(ExitCode.USAGE, f"the response is binary ({content_type or 'no Content-Type'}): redirect it into "
                   "a file (> page.bin) or pass --force")


@app.command()
def show(
    url: Annotated[str, typer.Argument(metavar="URL", help="Any URL the crawl fetched (for an article: as fetched, "
                                       "as first requested, or canonical).")],
    as_json: JsonOption = False,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Print the archived HTTP response of the latest capture, with its content coding "
        "(gzip, br, ...) undone: status line, headers, body.")] = False,
    encoded: Annotated[bool, typer.Option(
        "--encoded", help="With --raw: the response exactly as stored, bytes still content-encoded.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --raw: write a binary body to a terminal too.")] = False,
    archive: ArchiveOption = None,
) -> None:
    """Show what the archive holds for a URL: its captures, and its latest record if it is an article (exit 4 if
    it has neither).

    Records are found by scanning records/, captures by scanning the CDXJ indexes beside the WARCs: fine for small
    archives, slow for huge ones.
    """
    from pipelines.records.lookup import CaptureMismatchError, archived_response, latest_record
    from pipelines.warc.captures import captures_of, decoded_response, http_response, payload_capture

    settings = command_settings(archive)
    if as_json and raw:
        raise fail(ExitCode.USAGE, "--json and --raw exclude each other")
    if (encoded or force) and not raw:
        raise fail(ExitCode.USAGE, "--encoded and --force go with --raw")
    store = open_archive(settings)
    with failing_on(StoreError, CaptureMismatchError, ValueError):
        record = latest_record(store, url)
        captures = captures_of(store, url)
        if record is None and not captures:
            raise fail(ExitCode.NOT_FOUND, f"no capture of {url} in {store.uri}")
        if raw:
            stored = (http_response(store, payload_capture(captures, captures[-1])) if captures
                      else archived_response(store, record))  # type: ignore[arg-type]
            if encoded:
                head, body, content_type = stored, stored.partition(b"\r\n\r\n")[2], None
                refuse_binary_to_terminal(body, "application/octet-stream" if body else "text/plain", force)
                sys.stdout.buffer.write(stored)
            else:
                head, body, content_type = decoded_response(stored, settings.getint("DECODED_MAX_SIZE"))
                refuse_binary_to_terminal(body, content_type, force)
                sys.stdout.buffer.write(head + body)
            sys.stdout.flush()
        elif as_json:
            print_json({"url": url, "captures": [c.as_dict() for c in captures], "record": record})
        else:
            typer.echo(pretty(record) + "\n" if record else "no record: not an article page (only articles get "
                       "records)\n")
            typer.echo(f"{len(captures)} capture(s) of {url}:" if captures else f"no capture of {url} indexed")
            typer.echo("\n".join(pretty_capture(c) for c in captures))


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


def not_a_warc(path: Path) -> str | None:
    """Why the file is no WARC at all, else None. A WARC starts with the `WARC/` version line, plain or in its first
    gzip member; anything else (an HTML page, a gzipped one) must not get as far as warcio, which prints a warning
    per line it cannot parse."""
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)  # a gzip header and the start of its deflate stream
    if not head.startswith(GZIP_MAGIC):
        return None if head.startswith(b"WARC/") else "not a WARC file (it starts with neither gzip nor 'WARC/')"
    try:
        inflated = zlib.decompressobj(wbits=31).decompress(head, len(b"WARC/"))
    except zlib.error:
        return None  # a damaged first member: the digest check says where
    if b"WARC/".startswith(inflated):
        return None  # a WARC, or one cut short in its first bytes: the digest check says where
    return "not a WARC file (a gzip file, but it does not hold a WARC record)"


@warc_app.command("verify")
def warc_verify(
    targets: Annotated[list[str], typer.Argument(
        help="WARC files: local paths, or keys in the archive (warc/YYYY/MM/DD/NAME.warc.gz).", metavar="FILE|KEY")],
    as_json: JsonOption = False,
    archive: ArchiveOption = None,
) -> None:
    """Check WARC files: every digest (as `warcio check`) plus the lint replay needs (exit 1 on any fault)."""
    from pipelines.records.lookup import digest_problems
    from pipelines.warc.lint import lint_warc

    settings = command_settings(archive)
    results = []
    store: ObjectStore | None = None
    with tempfile.TemporaryDirectory(prefix="newsarchive-verify-") as scratch:
        for target in targets:
            path = Path(target)
            if not path.is_file():
                store = store or open_archive(settings)
                with failing_on(StoreError):
                    path = fetch_key(target, store, Path(scratch))
            if reason := not_a_warc(path):
                problems = [reason]
            else:
                problems = [f"digest: {p}" for p in digest_problems(path)] + [f"lint: {p}" for p in lint_warc(path)]
            results.append({"file": target, "ok": not problems, "problems": problems})
            if not as_json:
                print_verdict(target, problems)
    faulty = sum(not result["ok"] for result in results)
    if as_json:
        print_json({"files": results, "failed": faulty})
    if faulty:
        raise fail(ExitCode.FAILURE, f"{faulty} of {len(targets)} WARC file(s) failed verification")


def print_verdict(target: str, problems: list[str]) -> None:
    if not problems:
        typer.echo(f"ok   {target}: digests and lint pass")
    elif problems[0].startswith("not a WARC"):
        typer.echo(f"FAIL {target}: {problems[0]}")
    else:
        typer.echo(f"FAIL {target}: {len(problems)} problem(s)")
        for problem in problems:
            typer.echo(f"  {problem}")


@warc_app.command("ls")
def warc_ls(
    date_from: FromOption = None,
    date_to: ToOption = None,
    as_json: JsonOption = False,
    archive: ArchiveOption = None,
) -> None:
    """List the archive's WARC files (day filed, size in bytes, key), oldest first."""
    from pipelines.layout import key_day
    from pipelines.records.lookup import warc_objects

    days = day_range(date_from, date_to)
    store = open_archive(command_settings(archive))
    with failing_on(StoreError):
        objects = warc_objects(store, days)
    if as_json:
        print_json({"warcs": [{"key": o.key, "day": str(key_day(o.key)), "size": o.size} for o in objects],
                    "count": len(objects), "bytes": sum(o.size for o in objects)})
        return
    for obj in objects:
        typer.echo(f"{key_day(obj.key)}  {obj.size:>14,}  {obj.key}")
    typer.echo(f"{len(objects)} WARC file(s), {sum(o.size for o in objects):,} bytes", err=True)
