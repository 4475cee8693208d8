"""The operator CLI, `newsarchive`. Commands stay thin: they parse arguments and call the library.

Each module of `crawler/commands/` registers its commands on the shared app when imported; the order
here is the order `--help` lists them in (the operator's workflow).
"""

import importlib

from crawler.cli_common import app

COMMAND_MODULES = ("crawling", "discover", "backfill", "importing", "extract", "archive", "export", "status")


def load_commands() -> None:
    """Import the command modules so their @app.command() decorators run."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"crawler.commands.{name}")


def main() -> None:
    """Console script entry point."""
    load_commands()
    app()
