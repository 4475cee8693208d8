"""`newsarchive history URL`: the versions of an article (docs/versions.md) and a word diff between two of them."""

from typing import Annotated, Any

import typer

from crawler.cli_common import (
    ArchiveOption,
    JsonOption,
    app,
    command_settings,
    fail,
    failing_on,
    open_archive,
    print_json,
)
from crawler.exit_codes import ExitCode
from pipelines.records.types import record_version
from pipelines.store.base import StoreError


def versions_of(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Version number → its first record (a refetch of an unchanged article at a site that does not track versions
    writes another record of the same version)."""
    versions: dict[int, dict[str, Any]] = {}
    for record in records:
        versions.setdefault(record_version(record), record)
    return dict(sorted(versions.items()))


def summary(record: dict[str, Any]) -> str:
    """One line of `history`: when, which run, and what changed."""
    changes = record.get("changes")
    line = f"  version {record_version(record)}  {record['fetched_at']}  crawl {record['crawl_id']}  " \
           f"{record['word_count']} words  {record['title'] or '(no title)'}"
    if not changes:
        return line
    parts = ["title changed"] if changes["title_changed"] else []
    parts += [f"{changes[f'paragraphs_{what}']} paragraph(s) {what}" for what in ("added", "removed", "edited")
              if changes[f"paragraphs_{what}"]]
    notice = changes.get("notice")
    if notice:
        parts.append(f"notice ({notice['position']}): {notice['text'][:80]}")
    return line + "\n      " + " · ".join(parts)


def pick(versions: dict[int, dict[str, Any]], url: str, first: int | None, last: int | None) -> tuple[int, int] | None:
    """The two versions to compare: as asked, else the last two; None when there is one version and none asked."""
    for name, value in (("--from-version", first), ("--to-version", last)):
        if value is not None and value < 1:
            raise fail(ExitCode.USAGE, f"{name} {value}: versions count from 1")
    numbers = list(versions)
    if first is None and last is None and len(numbers) < 2:
        return None
    last = numbers[-1] if last is None else last
    first = (max((n for n in numbers if n < last), default=last) if first is None else first)
    for value in (first, last):
        if value not in versions:
            raise fail(ExitCode.NOT_FOUND, f"no version {value} of {url} (it has version(s) "
                       f"{', '.join(map(str, numbers))})")
    if first == last:
        raise fail(ExitCode.USAGE, f"--from-version and --to-version are both {first}: name two versions to compare")
    return first, last


@app.command()
def history(
    url: Annotated[str, typer.Argument(metavar="URL", help="The article's URL (as fetched, as first requested, or "
                                       "canonical).")],
    from_version: Annotated[int | None, typer.Option("--from-version", metavar="N", show_default=False,
                                                     help="Compare from this version (default: the one before "
                                                     "--to-version).")] = None,
    to_version: Annotated[int | None, typer.Option("--to-version", metavar="N", show_default=False,
                                                   help="Compare to this version (default: the latest).")] = None,
    as_json: JsonOption = False,
    archive: ArchiveOption = None,
) -> None:
    """List the versions of an article (a site with a `revisit` schedule records one each time its text changes)
    and print a word-level diff between two of them: the last two unless --from-version / --to-version say (exit 4
    when the URL has no record or not that version).

    Records are found by scanning records/: fine for small archives, slow for huge ones.
    """
    from pipelines.records.lookup import records_of
    from pipelines.records.versions import render_diff, text_diff

    store = open_archive(command_settings(archive))
    with failing_on(StoreError, ValueError):
        records = records_of(store, url)
    if not records:
        raise fail(ExitCode.NOT_FOUND, f"no record of {url} in {store.uri}")
    versions = versions_of(records)
    pair = pick(versions, url, from_version, to_version)
    diff = None
    if pair is not None:
        old, new = versions[pair[0]], versions[pair[1]]
        diff = {"from_version": pair[0], "to_version": pair[1],
                **text_diff(old["title"], old["text"], new["title"], new["text"])}
    if as_json:
        fields = ("version", "id", "capture_id", "previous_id", "fetched_at", "changed_at", "crawl_id", "title",
                  "word_count", "changes")
        listed = [{name: record.get(name) for name in fields} | {"version": number}
                  for number, record in versions.items()]
        print_json({"url": url, "versions": listed, "diff": diff})
        return
    latest = versions[max(versions)]
    typer.echo(f"{latest['title'] or '(no title)'}\nurl: {latest['url']}\n{len(versions)} version(s):")
    typer.echo("\n".join(summary(record) for record in versions.values()))
    if diff is not None:
        typer.echo(f"\nversion {diff['from_version']} → version {diff['to_version']}:")
        typer.echo("\n".join(render_diff(diff)))
