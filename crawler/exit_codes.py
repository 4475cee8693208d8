"""Process exit codes (documented in the README; operators' scripts rely on them), and the one place that
decides which code a run ends with."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.run.batch import BatchResult


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1          # the run could not do its job (crash, nothing fetched)
    USAGE = 2            # bad command line, settings (environment), sites file or ARCHIVE_URI; nothing was fetched
    UPLOAD_PENDING = 3   # crawl done, but some files could not be uploaded: they are safe in the spool,
                         # and the next run (any command that crawls) uploads them first
    NOT_FOUND = 4        # `show`/`warc verify`: no record of that URL, no such file or archive key
    BLOCKED = 5          # crawl done, but at least one site was blocking the crawler (403/429/captcha storm):
                         # its remaining pages were not fetched; the run report's stats name the site
    INTERRUPTED = 130    # stopped by Ctrl-C / SIGTERM after a clean shutdown


def crawl_exit_code(report: dict[str, Any] | None, stats: dict[str, Any], blocked: list[str]) -> ExitCode:
    """A crawl's code: no report is a failure; pending uploads win over an interruption (files are in the spool);
    a run that fetched nothing failed."""
    if report is None:
        return ExitCode.FAILURE
    if report["failed_uploads"]:
        return ExitCode.UPLOAD_PENDING
    if report["exit_reason"] == "shutdown":
        return ExitCode.INTERRUPTED
    if blocked:
        return ExitCode.BLOCKED
    if not stats.get("downloader/response_count"):
        return ExitCode.FAILURE
    return ExitCode.OK


def batch_exit_code(result: BatchResult) -> ExitCode:
    """An import's or re-extraction's code: interrupted, uploads pending, a source failed, or all done."""
    if result.interrupted:
        return ExitCode.INTERRUPTED
    if result.report["failed_uploads"]:
        return ExitCode.UPLOAD_PENDING
    return ExitCode.FAILURE if result.failed else ExitCode.OK
