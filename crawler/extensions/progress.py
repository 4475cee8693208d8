"""Live progress: a one-line rich display on a terminal, plain periodic log lines otherwise."""

import logging
import sys
import time
from typing import Any, Self

from rich.console import Console
from rich.live import Live
from rich.text import Text
from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

log = logging.getLogger(__name__)


def progress_mode(setting: str, stream: Any = sys.stderr) -> str:
    """`auto` picks `rich` on a terminal and `plain` elsewhere (containers, CI, cron)."""
    if setting != "auto":
        return setting
    return "rich" if getattr(stream, "isatty", lambda: False)() else "plain"


def human_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


def progress_line(stats: dict[str, Any], elapsed: float) -> str:
    """pages, articles, bytes, errors and the rate, in one line."""
    pages = stats.get("downloader/response_count", 0)
    errors = stats.get("newsarchive/errors", 0) + stats.get("log_count/ERROR", 0) \
        + stats.get("downloader/exception_count", 0)
    rate = pages / elapsed if elapsed > 0 else 0.0
    return (f"pages {pages} · articles {stats.get('newsarchive/articles', 0)} · "
            f"{human_bytes(stats.get('downloader/response_bytes', 0))} · errors {errors} · {rate:.1f} pages/s")


class ProgressExtension:
    """Scrapy extension; setting PROGRESS (env NEWSARCHIVE_PROGRESS) = auto | rich | plain | off."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.mode = progress_mode(crawler.settings.get("PROGRESS", "auto"))
        self.interval = 0.5 if self.mode == "rich" else crawler.settings.getfloat("PROGRESS_INTERVAL", 10)
        self.started = time.monotonic()
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        if extension.mode != "off":
            crawler.signals.connect(extension.opened, signal=signals.spider_opened)
            crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self) -> None:
        self.started = time.monotonic()
        if self.mode == "rich":
            self.live = Live(Text(""), console=Console(stderr=True), refresh_per_second=4, transient=False)
            self.live.start()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def tick(self) -> None:
        line = progress_line(self.crawler.stats.get_stats(), time.monotonic() - self.started)
        if self.live is not None:
            self.live.update(Text(line))
        else:
            log.info("progress: %s", line)

    def closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.tick()
        if self.live is not None:
            self.live.stop()
