"""A run over a list of sources (WARC files for `import` and `reextract`), one at a time, report last.

Each source's work reports its own errors in its summary line; a KeyboardInterrupt (Ctrl-C, or SIGTERM turned
into one by the CLI) stops after the current source's partial file is dropped (redone next time), and the run
report is still written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pipelines.run.sink import RecordSink, RunTally


@dataclass(frozen=True)
class BatchResult:
    report: dict[str, Any]
    interrupted: bool
    failed: int


def run_batch(sources: Iterable[str], work: Callable[[str], dict[str, Any]], *, sink: RecordSink, tally: RunTally,
              on_done: Callable[[str, dict[str, Any]], None] = lambda source, summary: None,
              **details: Any) -> BatchResult:
    """`work` each source in order (it never raises), then write the run report."""
    summaries: list[dict[str, Any]] = []
    interrupted = False
    try:
        for source in sources:
            summary = work(source)
            on_done(source, summary)
            summaries.append(summary)
    except KeyboardInterrupt:
        interrupted = True
    failed = sum(s["status"] == "failed" for s in summaries)
    reason = "shutdown" if interrupted else "failed" if failed else "finished"
    report = sink.finish(reason, tally, sources=summaries, **details)
    return BatchResult(report, interrupted, failed)
