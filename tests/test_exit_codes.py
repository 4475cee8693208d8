"""The one place exit codes are decided: what each kind of crawl outcome and start-up failure ends with."""

from crawler.exit_codes import ExitCode, crawl_exit_code, startup_exit_code
from pipelines.state.sync import StateError
from pipelines.store.base import StoreConfigError, StoreError, StoreUnavailableError

FETCHED = {"downloader/response_count": 12, "warc/exchanges": 12}


def report(reason: str = "finished", failed: int = 0) -> dict:
    return {"exit_reason": reason, "failed_uploads": [{"key": "k", "error": "e"}] * failed}


def test_crawl_outcomes() -> None:
    assert crawl_exit_code(report(), FETCHED, []) == ExitCode.OK
    assert crawl_exit_code(None, FETCHED, []) == ExitCode.FAILURE
    assert crawl_exit_code(report(failed=1), FETCHED, []) == ExitCode.UPLOAD_PENDING
    assert crawl_exit_code(report("shutdown", failed=2), FETCHED, []) == ExitCode.INTERRUPTED, \
        "an interrupted run's leftovers wait in the spool; it still says it was interrupted"
    assert crawl_exit_code(report(), FETCHED, ["herald"]) == ExitCode.BLOCKED
    assert crawl_exit_code(report(), {}, []) == ExitCode.FAILURE, "nothing fetched"
    assert crawl_exit_code(report(), {"downloader/response_count": 12}, []) == ExitCode.FAILURE, \
        "pages fetched, none archived"
    assert crawl_exit_code(report("disk_floor", failed=1), {}, []) == ExitCode.LOW_DISK == 7, \
        "the disk floor is the cause of what else went wrong"
    assert crawl_exit_code(report("closespider_timeout"), FETCHED, []) == ExitCode.OK, "a limit reached is done"
    assert crawl_exit_code(report("closespider_pagecount"), FETCHED, []) == ExitCode.OK


def test_start_up_failures() -> None:
    assert startup_exit_code(StoreConfigError("spool /data/spool: not writable")) == ExitCode.USAGE
    assert startup_exit_code(StoreUnavailableError("REDIS_URL …: cannot reach Redis")) == ExitCode.UNAVAILABLE
    assert startup_exit_code(StateError("no readable version of the crawl state")) == ExitCode.FAILURE
    assert startup_exit_code(StoreError("anything else of the store")) == ExitCode.FAILURE
    assert startup_exit_code(ValueError("DNS_SERVERS: bad address")) == ExitCode.USAGE
