"""Process exit codes (documented in the README; operators' scripts rely on them), and the one place that
decides which code a run ends with."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any

from pipelines.store.base import StoreConfigError, StoreError, StoreUnavailableError

LOW_DISK_REASON = "disk_floor"  # the close reason of crawler/extensions/disk_floor.py

if TYPE_CHECKING:
    from pipelines.run.batch import BatchResult


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1          # the run could not do its job (crash, nothing fetched)
    USAGE = 2            # bad command line, settings (environment), sites file, ARCHIVE_URI, spool or state
                         # directory, S3 credentials or bucket, REDIS_URL; nothing was fetched
    UPLOAD_PENDING = 3   # crawl done, but some files could not be uploaded: they are safe in the spool,
                         # and the next run (any command that crawls) uploads them first
    NOT_FOUND = 4        # not found: no capture or record of that URL (`show`, `history`), no such input file or
                         # archive key (`warc verify`, `import`, `extract`); a missing sites file is USAGE (config)
    BLOCKED = 5          # crawl done, but at least one site was blocking the crawler (403/429/captcha storm):
                         # its remaining pages were not fetched; the run report's stats name the site
    UNAVAILABLE = 6      # the archive's store (S3) or Redis did not answer at start-up; nothing was fetched:
                         # run again once it is back
    LOW_DISK = 7         # stopped early: the spool's disk had less free space than MIN_FREE_DISK; what it fetched
                         # is closed and uploaded (what could not be waits in the spool): free space, run again
    INTERRUPTED = 130    # stopped by Ctrl-C / SIGTERM; files not uploaded yet wait in the spool for the next run


def crawl_exit_code(report: dict[str, Any] | None, stats: dict[str, Any], blocked: list[str]) -> ExitCode:
    """A crawl's code: no report is a failure; an interruption wins (what is not uploaded yet is in the spool,
    as the summary says); then the disk floor (the cause of what else went wrong); then pending uploads; a run
    that fetched nothing, or archived nothing of what it fetched, failed (a worker of a shared crawl may have been
    left nothing to fetch)."""
    if report is None:
        return ExitCode.FAILURE
    if report["exit_reason"] == "shutdown":
        return ExitCode.INTERRUPTED
    if report["exit_reason"] == LOW_DISK_REASON:
        return ExitCode.LOW_DISK
    if report["failed_uploads"]:
        return ExitCode.UPLOAD_PENDING
    if blocked:
        return ExitCode.BLOCKED
    if not stats.get("downloader/response_count") and report.get("distributed"):
        return ExitCode.OK  # a worker of a shared crawl that the others left nothing to do
    if not stats.get("downloader/response_count") or not stats.get("warc/exchanges"):
        return ExitCode.FAILURE
    return ExitCode.OK


def startup_exit_code(error: Exception) -> ExitCode:
    """A crawl that could not start (what the runner's checks before Scrapy raised): a service that did not
    answer (6), a store whose contents cannot be read, e.g. the crawl state (1), else its configuration (2)."""
    if isinstance(error, StoreUnavailableError):
        return ExitCode.UNAVAILABLE
    if isinstance(error, StoreError) and not isinstance(error, StoreConfigError):
        return ExitCode.FAILURE
    return ExitCode.USAGE


def error_exit_code(error: Exception) -> ExitCode:
    """The code of a command that stopped on an expected error, the same for the same cause in every command:
    a store or Redis that did not answer (6), a store configured wrong (2), anything else (1)."""
    if isinstance(error, StoreUnavailableError):
        return ExitCode.UNAVAILABLE
    if isinstance(error, StoreConfigError):
        return ExitCode.USAGE
    return ExitCode.FAILURE


def batch_exit_code(result: BatchResult) -> ExitCode:
    """An import's or re-extraction's code: interrupted, uploads pending, a source failed, or all done."""
    if result.interrupted:
        return ExitCode.INTERRUPTED
    if result.report["failed_uploads"]:
        return ExitCode.UPLOAD_PENDING
    return ExitCode.FAILURE if result.failed else ExitCode.OK
