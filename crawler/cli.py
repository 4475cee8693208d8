"""The operator CLI, `newsarchive`. Commands stay thin: they parse arguments and call the library.

Each module of `crawler/commands/` registers its commands on the shared app when imported; the order
here is the order `--help` lists them in (the operator's workflow).
"""

import importlib
import sys
from typing import Annotated

import typer

from crawler import interrupt
from crawler.cli_common import ClickException, app, click_error, error
from crawler.exit_codes import ExitCode

COMMAND_MODULES = ("crawling", "discover", "backfill", "importing", "extract", "archive", "history", "export",
                   "status")


def show_version(asked: bool) -> None:
    """`--version`: the package and the extractor (records carry the extractor's version, re-extraction keys too)."""
    if asked:
        from pipelines import package_version
        from pipelines.extract.version import EXTRACTOR_VERSION

        typer.echo(f"newsarchive {package_version()} (extractor {EXTRACTOR_VERSION})")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[bool, typer.Option("--version", callback=show_version, is_eager=True, metavar="",
                                          help="Print the version of newsarchive and of its extractor, and exit.")
                       ] = False,
) -> None:
    """Crawl news sites into faithful WARC files and clean article records.

    Output goes to ARCHIVE_URI: a local directory (default ./archive) or s3://bucket/prefix."""


def load_commands() -> None:
    """Import the command modules so their @app.command() decorators run."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"crawler.commands.{name}")


def main() -> None:
    """Console script entry point. Ctrl-C or SIGTERM before a command takes them over: one line, exit 130.

    Typer's own handling of bad usage (standalone mode) prints a usage line, a hint and a boxed message; here
    every usage error is one line on stderr and exit 2, the same in a pipe and on a terminal."""
    interrupt.install()
    try:
        load_commands()
        code = app(prog_name="newsarchive", standalone_mode=False)  # exceptions come back here; --help → 0
    except interrupt.Interrupted as signal_name:
        sys.stderr.write(f"newsarchive: {signal_name}: stopped; nothing was left half-done\n")
        sys.exit(ExitCode.INTERRUPTED)
    except ClickException as problem:
        sys.exit(click_error(problem))
    except typer.Abort:  # end of input at a prompt
        error("aborted")
        sys.exit(ExitCode.FAILURE)
    sys.exit(code)
