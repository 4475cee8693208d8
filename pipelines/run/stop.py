"""A stop request: set by the CLI's signal handlers (Ctrl-C, SIGTERM), honoured by a run between two records."""

from __future__ import annotations

from dataclasses import dataclass


class StopRequested(Exception):
    """The operator asked the run to stop; raised between records, never in the middle of one."""


@dataclass
class Stop:
    """Set from a signal handler, checked by the work between records."""

    requested: bool = False

    def check(self) -> None:
        if self.requested:
            raise StopRequested
