"""A run over a list of sources (WARC files for `import` and `reextract`), one at a time, report last.

Each source's work reports its own errors in its summary line. A stop request (the CLI turns Ctrl-C and
SIGTERM into one) is honoured between two records: the current source's partial file is dropped (redone next
time), every finished source keeps its summary, and the run report is still written. Stopping only at those
points, never by an exception raised at a random bytecode, is what keeps "uploaded" and "in the report" in
step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pipelines.run.sink import RecordSink, RunTally
from pipelines.run.stop import StopRequested


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
    except (StopRequested, KeyboardInterrupt):  # KeyboardInterrupt: a second Ctrl-C, which aborts at once
        interrupted = True
    failed = sum(s["status"] == "failed" for s in summaries)
    reason = "shutdown" if interrupted else "failed" if failed else "finished"
    report = sink.finish(reason, tally, sources=summaries, **details)
    return BatchResult(report, interrupted, failed)
