"""The operator CLI, `newsarchive`. Commands stay thin: they parse arguments and call the library.

Every module in `crawler/commands/` registers its commands on the shared app when imported.
"""

import importlib
import pkgutil

import crawler.commands
from crawler.cli_common import app


def load_commands() -> None:
    """Import every command module so its @app.command() decorators run."""
    for module in sorted(pkgutil.iter_modules(crawler.commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"crawler.commands.{module.name}")


def main() -> None:
    """Console script entry point."""
    load_commands()
    app()
