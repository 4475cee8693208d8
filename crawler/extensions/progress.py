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

from pipelines.run.report import SITE_COUNTERS, STATUS_CLASSES, counts_line, crawl_counts, site_stat

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


def elapsed_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def progress_line(stats: dict[str, Any], elapsed: float, queued: int | None = None) -> str:
    """The run's counts (the run report's, in the same words), bytes, elapsed time, queue and rate, in one line."""
    counts = crawl_counts(stats)
    rate = counts["responses"] / elapsed if elapsed > 0 else 0.0
    queue = f" · queue {queued}" if queued is not None else ""
    return (f"{counts_line(counts)} · {human_bytes(counts['bytes'])} · {elapsed_text(elapsed)}{queue} · "
            f"{rate:.1f} pages/s")


def site_lines(stats: dict[str, Any], sites: list[str]) -> list[str]:
    """Per site: responses by status class, network failures, articles (PROGRESS_PER_SITE). Its responses are
    what its classes add up to, robots.txt included (`fetched`, the site's own requests, leaves robots.txt out)."""
    lines = []
    for site in sites:
        site_counts = {name: stats.get(site_stat(site, name), 0) for name in SITE_COUNTERS}
        classes = " · ".join(f"{klass} {site_counts[f'responses_{klass}']}" for klass in STATUS_CLASSES)
        responses = sum(site_counts[f"responses_{klass}"] for klass in STATUS_CLASSES)
        lines.append(f"  {site}: {responses} responses ({classes}) · {site_counts['network_failures']} "
                     f"network failures · {site_counts['articles']} articles")
    return lines


def queued_requests(crawler: Crawler) -> int | None:
    """Requests waiting in the scheduler (None before the engine has one)."""
    engine = getattr(crawler, "engine", None)
    slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
    scheduler = getattr(slot, "scheduler", None) or getattr(engine, "scheduler", None)
    try:
        return len(scheduler) if scheduler is not None else None
    except TypeError:
        return None


class ProgressExtension:
    """Scrapy extension; setting PROGRESS (env NEWSARCHIVE_PROGRESS) = auto | rich | plain | off."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.mode = progress_mode(crawler.settings.get("PROGRESS", "auto"))
        if self.mode == "rich" and crawler.settings.getbool("LOG_JSON"):
            self.mode = "plain"  # every line on stderr is a JSON object: the live line would not be
        self.interval = 0.5 if self.mode == "rich" else crawler.settings.getfloat("PROGRESS_INTERVAL", 10)
        self.per_site = crawler.settings.getbool("PROGRESS_PER_SITE")
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
        stats = self.crawler.stats.get_stats()
        line = progress_line(stats, time.monotonic() - self.started, queued_requests(self.crawler))
        sites = site_lines(stats, getattr(self.crawler.spider, "site_names", [])) if self.per_site else []
        if self.live is not None:
            self.live.update(Text("\n".join([line, *sites])))
        else:
            log.info("progress: %s", "\n".join([line, *sites]),
                     extra={"event": "progress", "data": crawl_counts(stats)})

    def closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.tick()
        if self.live is not None:
            self.live.stop()
