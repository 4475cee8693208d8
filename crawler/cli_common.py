"""What every `newsarchive` command shares: the Typer app, common options, its settings, and how errors end
a command."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from crawler.exit_codes import ExitCode
from pipelines.days import DayRange, DayRangeError

try:  # Typer 0.26 and later carry their own copy of click
    from typer._click.exceptions import ClickException, NoSuchOption, UsageError
except ImportError:  # older Typer uses click itself
    from click.exceptions import ClickException, NoSuchOption, UsageError  # type: ignore[assignment,no-redef]

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from pipelines.store.base import ObjectStore

class _Readable:
    """--help that shows what to type: nothing after a flag, TEXT, N or PATH where a value goes.

    Typer 0.27+ labels options with Python types (`<str>`, `<list[str]>`, and from 0.29 `<bool>` on every flag,
    --help included); click's upper-case placeholders read better, so parameters without a metavar of their
    own get one. Works with the typer versions pyproject allows (older ones already print these).
    """

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if param.metavar is None:
                param.metavar = _placeholder(param)
            if param.param_type_name == "argument" and hasattr(param, "type_descriptor"):
                param.display_type_rich = lambda ctx: None  # its name column already says what to type
        return params

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Every usage error names its command (the parser's own, such as an option without its value, do not)."""
        try:
            rest: list[str] = super().parse_args(ctx, args)  # type: ignore[misc]
        except UsageError as problem:
            if problem.ctx is None:
                problem.ctx = ctx
            raise
        return rest


def _placeholder(param: Any) -> str | None:
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None:  # typer before 0.29 keeps click's own placeholders
        return None
    if descriptor.is_choice:
        return "|".join(str(choice) for choice in descriptor.choices or ())
    base = param.bare_type().removeprefix("list[").removesuffix("]")
    label = {"str": "TEXT", "int": "N", "float": "NUMBER", "Path": "PATH", "bool": "BOOL"}.get(base, base.upper())
    return f"{label}..." if param.param_type_name == "argument" and param.nargs != 1 else label


class ReadableCommand(_Readable, TyperCommand):
    pass


class ReadableGroup(_Readable, TyperGroup):
    pass


class ReadableTyper(typer.Typer):
    """A Typer app whose commands and groups print readable placeholders in --help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cls", ReadableGroup)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", ReadableCommand)
        return super().command(*args, **kwargs)


app = ReadableTyper(
    name="newsarchive",
    help="Crawl news sites into faithful WARC files and clean article records.\n\n"
    "Output goes to ARCHIVE_URI: a local directory (default ./archive) or s3://bucket/prefix.",
    epilog="Examples:\n\n"
    "  newsarchive demo                                 crawl the bundled demo site into ./archive\n\n"
    "  newsarchive crawl --sites sites.yaml --site herald\n\n"
    "  ARCHIVE_URI=s3://bucket/news newsarchive crawl   (AWS_ENDPOINT_URL for MinIO and others)\n\n"
    "  newsarchive extract page.html --url https://herald.example/2024/05/17/story\n\n"
    "Exit codes: 0 ok · 1 failure · 2 bad usage or config · 3 uploads pending (files kept in the spool) · "
    "4 not found · 5 a site blocked the crawler · 6 S3 or Redis did not answer at start-up · 7 stopped at the "
    "free-disk floor · 130 interrupted.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
)
log = logging.getLogger("newsarchive")

# Not Typer's envvar=: the environment is read once, with every other setting (command_settings).
ArchiveOption = Annotated[str | None, typer.Option(
    "--archive", metavar="URI", help="Where WARCs and records go: a directory or s3://bucket/prefix. "
    "[default: $ARCHIVE_URI, else ./archive]")]


def fail(code: ExitCode, message: str) -> typer.Exit:
    """Print a one-line error for a human (a JSON log line with LOG_FORMAT=json) and return the Exit to raise."""
    error(message)
    return typer.Exit(int(code))


def error(message: str, *, where: str = "newsarchive") -> None:
    """One line on stderr saying what went wrong (`where`: the program, or the command the line is about): red
    text, or a JSON log line with LOG_FORMAT=json."""
    from crawler.logs import json_requested, say

    if json_requested():
        say(f"{where}: {message}", err=True, event="error", level=logging.ERROR)
    else:
        typer.secho(f"{where}: {message}", err=True, fg=typer.colors.RED)


def click_error(problem: ClickException) -> int:
    """Say what the command line got wrong, in one line (Typer's standalone mode prints a usage line, a hint and
    a boxed message), and return the exit code: 2 for bad usage, as everywhere."""
    if not isinstance(problem, UsageError):  # click's other errors, e.g. a file it could not open
        error(problem.format_message())
        return problem.exit_code
    if type(problem).__name__ == "NoArgsIsHelpError":  # no arguments: the help (with rich, printed already)
        if problem.message:
            problem.show()
        return ExitCode.USAGE
    ctx = problem.ctx
    where = ctx.command_path if ctx is not None else "newsarchive"
    if isinstance(problem, NoSuchOption) and problem.possibilities:
        text = f"{problem.message} (did you mean {' or '.join(problem.possibilities)}?)"
    else:  # Typer's suggestion for a misspelt command, "…. Did you mean 'crawl'?", in the same words
        text = re.sub(r"\. Did you mean (.+)\?$", r" (did you mean \1?)", problem.format_message().rstrip("."))
    text = text[:1].lower() + text[1:] if text[1:2].islower() else text
    error(f"{text}; see {where} --help" if ctx is not None else text, where=where)
    return ExitCode.USAGE


VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")]
JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print one JSON document on stdout instead of text (shapes: docs/operations.md).")]


def print_json(document: Any) -> None:
    """Every command's `--json` output: one indented JSON document on stdout, UTF-8 as is."""
    import json
    import sys

    json.dump(document, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def command_settings(archive: str | None = None, **overrides: Any) -> Settings:
    """The settings of this command (crawler.config.load_settings), `--archive` on top; every command calls it
    first, so a bad environment or settings module stops it with one line per problem and exit 2."""
    from crawler.config import ConfigError, load_settings

    if archive:
        overrides["ARCHIVE_URI"] = archive
    try:
        return load_settings(overrides)
    except ConfigError as problems:
        for problem in problems.problems[:-1]:
            error(problem)
        raise fail(ExitCode.USAGE, problems.problems[-1]) from None


def open_archive(settings: Settings) -> ObjectStore:
    """The store ARCHIVE_URI names; a bad URI exits 2 like every other command."""
    from crawler.config import store_options
    from pipelines.store.base import StoreConfigError
    from pipelines.store.factory import open_store

    try:
        return open_store(settings["ARCHIVE_URI"], store_options(settings))
    except StoreConfigError as error:
        raise fail(ExitCode.USAGE, str(error)) from error


@contextmanager
def failing_on(*errors: type[Exception]) -> Iterator[None]:
    """Turn the expected errors of a command's work into a one-line message and the exit code of their cause
    (crawler.exit_codes.error_exit_code: the same cause ends every command alike)."""
    from crawler.exit_codes import error_exit_code

    try:
        yield
    except errors as error:
        raise fail(error_exit_code(error), str(error)) from error


MaxDurationOption = Annotated[str | None, typer.Option(
    "--max-duration", metavar="DURATION", help="Stop cleanly after this long: 90s, 30m, 2h, 1h30m (everything "
    "fetched is archived and uploaded). [default: $NEWSARCHIVE_CLOSESPIDER_TIMEOUT seconds, else no limit]",
    show_default=False)]
MaxPagesOption = Annotated[int | None, typer.Option(
    "--max-pages", metavar="N", min=1, help="Stop cleanly after about N responses (pages, feeds, sitemaps, "
    "robots.txt). [default: $NEWSARCHIVE_CLOSESPIDER_PAGECOUNT, else no limit]", show_default=False)]
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)([smhd]))+|\d+(?:\.\d+)?")


def duration_seconds(text: str) -> float:
    """`30m` → 1800, `1h30m` → 5400, `90` → 90 (seconds); a bad value exits 2 with one line."""
    text = text.strip().lower()
    if not text or DURATION.fullmatch(text) is None:
        raise fail(ExitCode.USAGE, f"--max-duration {text!r}: write a duration such as 90s, 30m, 2h or 1h30m")
    if text[-1].isdigit():
        return float(text)
    return sum(float(number) * DURATION_UNITS[unit] for number, unit in re.findall(r"(\d+(?:\.\d+)?)([smhd])", text))


def run_limits(max_duration: str | None, max_pages: int | None) -> dict[str, Any]:
    """The settings `--max-duration` and `--max-pages` stand for (Scrapy's CLOSESPIDER_TIMEOUT / _PAGECOUNT)."""
    limits: dict[str, Any] = {}
    if max_duration is not None:
        seconds = duration_seconds(max_duration)
        if seconds <= 0:
            raise fail(ExitCode.USAGE, f"--max-duration {max_duration!r}: give a duration longer than 0")
        limits["CLOSESPIDER_TIMEOUT"] = seconds
    if max_pages is not None:
        limits["CLOSESPIDER_PAGECOUNT"] = max_pages
    return limits


FromOption = Annotated[str | None, typer.Option(
    "--from", metavar="YYYY-MM-DD", help="First day (UTC), inclusive.", show_default=False)]
ToOption = Annotated[str | None, typer.Option(
    "--to", metavar="YYYY-MM-DD", help="Last day (UTC), inclusive.", show_default=False)]


def day_range(first: str | None, last: str | None) -> DayRange:
    """Every command's `--from/--to`: parsed one way, refused one way (exit 2, one line)."""
    try:
        return DayRange.parse(first, last)
    except DayRangeError as error:
        raise fail(ExitCode.USAGE, str(error)) from error
