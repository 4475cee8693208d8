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


_received: str | None = None  # the signal these handlers raised for, if any


def _raise(signum: int, _frame: FrameType | None) -> None:
    global _received
    _received = signal.Signals(signum).name
    raise Interrupted(_received)


def install() -> None:
    global _received
    _received = None
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise)


def check() -> None:
    """Raise Interrupted again for a signal these handlers took: call it once a command's own handlers are in
    place. The first raise can be swallowed on its way up: a signal that lands while a library is being imported
    raises inside that import, and some imports catch everything (one inside pkg_resources did: the crawl then
    ran to its end and exited 0, the Ctrl-C lost)."""
    if _received is not None:
        raise Interrupted(_received)
