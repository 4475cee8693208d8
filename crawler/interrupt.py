"""Ctrl-C and SIGTERM before a command has its own way of stopping: one line and exit code 130.

Python's KeyboardInterrupt would print a traceback (during the imports of the first second) or be turned
by Typer into "Aborted!" and exit 1. `install()` runs first thing in `main()`; a crawl replaces these
handlers with crawler.shutdown's once its archive session is open, an import or re-extraction with its stop
flag (crawler.commands.importing).
"""

from __future__ import annotations

import signal
from types import FrameType


class Interrupted(BaseException):
    """Raised by the handlers: a BaseException but no KeyboardInterrupt, so nothing on its way catches it."""


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def install() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise)
