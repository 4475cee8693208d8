"""Ctrl-C, SIGTERM and `podman stop`: the crawl ends within seconds, its files closed, exit code 130.

Scrapy's own handlers (the first signal stops gracefully, the second "unclean") wait for every request in
flight, every request queued behind a site's delay, then for the run's uploads: with a slow site or a store
that stopped answering that is unbounded, and after the second signal Twisted's threads could still hold the
process. The crawl installs these instead (the first signal may come while Scrapy is still starting):

- first signal: Scrapy stops gracefully: requests in flight and items in hand are finished, then the archive
  session closes the WARC and records files, uploads what it can until UPLOADS_BY, and writes the report.
- Scrapy has not closed the spider GRACE seconds later (a slow response, requests queued behind long delays):
  the reactor is stopped where it is (`forced`) and the runner closes the spider for it — the archive session
  finishes with nothing running any more that could still write. A response not received is no capture: its
  page is fetched next time.
- a second signal, or no end by HARD_LIMIT: the process exits at once. The next run salvages the `.open`
  files, as after a kill -9.
Extraction workers ignore both signals: the crawl closes them (pipelines.extract.pool).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from crawler.exit_codes import ExitCode
from crawler.logs import JsonFormatter, json_requested
from pipelines.extract.pool import kill_all_workers, stop_resource_tracker

if TYPE_CHECKING:
    from scrapy.crawler import Crawler, CrawlerProcess

log = logging.getLogger(__name__)

GRACE = 4.0        # seconds Scrapy gets to close the spider by itself
UPLOADS_BY = 7.0   # seconds after the signal, uploads still running are left to the next run
HARD_LIMIT = 9.0   # seconds after the signal, the process exits whatever it is doing
STARTING_CHECK = 0.05  # seconds between looks at a crawler still starting when the signal came
SIGNALS = (signal.SIGINT, signal.SIGTERM)
SHOW_CURSOR = b"\x1b[?25h"  # the live progress line hides it; an exit at once must not leave it hidden


def say(message: str) -> None:
    """One line on stderr (a JSON one with LOG_FORMAT=json), safe in a signal handler (no Python stream buffer
    or logging lock is touched)."""
    line = f"newsarchive: {message}"
    if json_requested():
        line = JsonFormatter().format(logging.makeLogRecord({
            "name": "crawler.shutdown", "levelno": logging.WARNING, "levelname": "WARNING", "msg": line,
            "event": "shutdown"}))
    os.write(2, f"{line}\n".encode())


def exit_at_once(message: str | None = None) -> NoReturn:
    """End the process now with code 130: no interpreter shutdown waiting for threads (an upload to a store that
    stopped answering, a DNS lookup); extraction workers and multiprocessing's resource tracker end first."""
    if message:
        say(message)
    kill_all_workers()  # closed already, unless this is the second signal or the watchdog
    stop_resource_tracker()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if os.isatty(2):
        os.write(2, SHOW_CURSOR)
    os._exit(ExitCode.INTERRUPTED)


class Shutdown:
    """The crawl's signal handlers: `install()` as soon as the archive session is open (from then on a signal is
    never an exception in the middle of Scrapy or Twisted code), `attach()` once the crawl exists."""

    def __init__(self) -> None:
        self.requested_at: float | None = None
        self.process: CrawlerProcess | None = None
        self.crawler: Crawler | None = None
        self.forced = False  # the reactor was stopped before Scrapy closed the spider
        self.engine_started = False

    def install(self) -> None:
        for signum in SIGNALS:
            signal.signal(signum, self._on_signal)

    def attach(self, process: CrawlerProcess, crawler: Crawler) -> None:
        """The crawl to stop (its reactor is installed by now); a signal that came before is acted on now."""
        from scrapy import signals
        from twisted.internet import reactor

        self.process, self.crawler = process, crawler
        crawler.signals.connect(self._engine_started, signal=signals.engine_started)
        if self.requested:
            reactor.callFromThread(self._stop)  # type: ignore[attr-defined]

    def _engine_started(self) -> None:
        self.engine_started = True

    @property
    def requested(self) -> bool:
        return self.requested_at is not None

    def deadline(self) -> float | None:
        """When uploads must be done (time.monotonic()), once a stop was asked for; None before."""
        return None if self.requested_at is None else self.requested_at + UPLOADS_BY

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.requested_at is not None:
            exit_at_once(f"{name} again: stopped at once; the next run salvages what was written")
        self.requested_at = time.monotonic()
        say(f"{name}: stopping; closing the archive files (send it again to stop at once)")
        threading.Thread(target=self._watchdog, name="shutdown-watchdog", daemon=True).start()
        if self.process is not None:  # else attach() does it: importing the reactor now would install the wrong one
            from twisted.internet import reactor

            reactor.callFromThread(self._stop)  # type: ignore[attr-defined]

    def _watchdog(self) -> None:
        time.sleep(HARD_LIMIT)
        exit_at_once(f"not stopped after {HARD_LIMIT:.0f} s: stopped at once; the next run salvages what was "
                     "written")

    def _stop(self) -> None:
        """In the reactor thread: ask Scrapy to stop, and make sure the reactor stops by GRACE."""
        from twisted.internet import reactor

        self._stop_scrapy()
        reactor.callLater(GRACE, self._force)  # type: ignore[attr-defined]

    def _stop_scrapy(self) -> None:
        """Scrapy's stop does nothing to a crawler that is still starting (its engine not running yet: the crawler
        is marked stopped and its start goes on, so a Ctrl-C then left the crawl running to its end, or until GRACE
        forced it): asked again once the engine runs."""
        from twisted.internet import reactor

        crawler = self.crawler
        if self.process is None or crawler is None or not crawler.crawling:  # over already (or never started)
            return
        if self.engine_started and crawler.engine.running:
            self.process.stop()
        else:
            reactor.callLater(STARTING_CHECK, self._stop_scrapy)  # type: ignore[attr-defined]

    def _force(self) -> None:
        """Scrapy is still draining: stop the reactor now, without the shutdown triggers that would wait for it."""
        from twisted.internet import reactor

        log.info("Scrapy did not close the spider within %.0f s of the signal; stopping it where it is", GRACE)
        self.forced = True
        reactor.crash()  # type: ignore[attr-defined]
