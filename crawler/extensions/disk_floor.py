"""A free-disk floor on the spool: the crawl stops cleanly before the disk is full (MIN_FREE_DISK).

A full disk in the middle of a crawl fails WARC and records writes one by one; stopping while there is still
room closes everything properly instead: Scrapy closes the spider with reason `disk_floor` (as its own
CLOSESPIDER_* limits do), the session closes the WARCs and records files and uploads them (which frees the
spool), the run report says `exit_reason: disk_floor`, and the run exits with ExitCode.LOW_DISK.
"""

from __future__ import annotations

import logging
import shutil
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.config import spool_root
from crawler.exit_codes import LOW_DISK_REASON

log = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0  # seconds; a statvfs call costs microseconds


class DiskFloor:
    """Scrapy extension: checks the spool's free space every second from the spider's start (MIN_FREE_DISK;
    0: off)."""

    def __init__(self, crawler: Crawler, floor: int) -> None:
        self.crawler = crawler
        self.floor = floor
        self.path = spool_root(crawler.settings)
        self.loop: task.LoopingCall | None = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler, crawler.settings.getint("MIN_FREE_DISK"))
        if extension.floor > 0:
            crawler.signals.connect(extension.opened, signal=signals.spider_opened)
            crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self) -> None:
        self.loop = task.LoopingCall(self.check)
        self.loop.start(CHECK_INTERVAL, now=True)

    def free(self) -> int | None:
        """Free bytes on the spool's file system for this (unprivileged) process; None if it cannot be read."""
        path = self.path
        while not path.exists() and path != path.parent:
            path = path.parent
        try:
            return shutil.disk_usage(path).free
        except OSError:
            return None

    def check(self) -> None:
        free = self.free()
        if self.stopping or free is None or free >= self.floor:
            return
        self.stopping = True
        self.crawler.stats.set_value("newsarchive/disk_free_at_stop", free)
        log.error("spool %s: %d bytes free, below MIN_FREE_DISK (%d); the crawl stops now and closes and uploads "
                  "what it wrote; free some space (or lower MIN_FREE_DISK) and run again", self.path, free,
                  self.floor, extra={"event": "disk_floor"})
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=LOW_DISK_REASON))

    def closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
