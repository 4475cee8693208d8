"""How a crawl logs: Scrapy's text lines (the default), or one JSON object per line (LOG_FORMAT=json) for log
collectors in containers and schedulers.

A JSON line has `time` (RFC 3339, UTC), `level`, `logger`, `site`, `url`, `event` and `message`, plus `exc`
with the traceback when there is one and `data` for events that carry numbers (progress, the summary). Our
own code names its events and the site and URL (`extra={"event": ..., "site": ..., "url": ...}`); for
Scrapy's lines they are read from what Scrapy logs with them: the request or response of its log formatter's
messages ("Crawled (200) <GET …>") and its event named after the message.

In JSON mode Scrapy's own root handler is never installed (its lines would be text): our handler takes every
record of every logger, and the CLI's own lines to stderr (errors, the summary) go through logging too.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

FIELDS = ("time", "level", "logger", "site", "url", "event", "message")
JSON_VARIABLE = "NEWSARCHIVE_LOG_FORMAT"


def json_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process logs JSON: LOG_FORMAT=json (it is only ever set by the environment). Read from the
    environment so that even the lines before the settings are loaded (a bad setting) are JSON."""
    environ = os.environ if environ is None else environ
    return environ.get(JSON_VARIABLE, "").strip() == "json"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line whatever the message holds (newlines are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in someone's log call must not lose the line
            message = f"{record.msg} {record.args}"
        site, url = _site_and_url(record)
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "site": site,
            "url": url,
            "event": getattr(record, "event", None) or _scrapy_event(record),
            "message": message,
        }
        if record.exc_info:
            line["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            line["exc"] = record.exc_text
        data = getattr(record, "data", None)
        if data is not None:
            line["data"] = data
        return json.dumps(line, ensure_ascii=False, default=str)


def _site_and_url(record: logging.LogRecord) -> tuple[str | None, str | None]:
    """The site and URL a record is about: given by our code, else the request or response Scrapy logs with."""
    site, url = getattr(record, "site", None), getattr(record, "url", None)
    args = record.args if isinstance(record.args, Mapping) else {}
    for name in ("request", "response"):
        thing = args.get(name)
        if thing is None or not hasattr(thing, "url"):
            continue
        url = url or str(thing.url)
        meta = getattr(getattr(thing, "request", None) or thing, "meta", None) or {}
        site = site or ((meta.get("newsarchive") or {}).get("site") if isinstance(meta, Mapping) else None)
    return site, url


def _scrapy_event(record: logging.LogRecord) -> str | None:
    """Scrapy's log formatter's messages, named: crawled, scraped, dropped, item_error, spider_error,
    download_error."""
    from scrapy import logformatter

    return {logformatter.CRAWLEDMSG: "crawled", logformatter.SCRAPEDMSG: "scraped",
            logformatter.DROPPEDMSG: "dropped", logformatter.ITEMERRORMSG: "item_error",
            logformatter.SPIDERERRORMSG: "spider_error", logformatter.DOWNLOADERRORMSG_SHORT: "download_error",
            logformatter.DOWNLOADERRORMSG_LONG: "download_error"}.get(str(record.msg))


_installed: logging.Handler | None = None


def install_json_handler(level: str | int | None = None) -> None:
    """Every record of every logger as a JSON line on stderr (once per process); `level` sets the handler's
    level (INFO when it is first installed without one)."""
    global _installed  # one root handler per process, like Scrapy's own
    if _installed is None:
        _installed = logging.StreamHandler(sys.stderr)
        _installed.setFormatter(JsonFormatter())
        logging.root.addHandler(_installed)
        logging.root.setLevel(logging.NOTSET)
        logging.captureWarnings(True)  # Python warnings are lines on stderr too
        _installed.setLevel(logging.INFO)
    if level is not None:
        _installed.setLevel(level)


class NetworkErrorWithoutTraceback(logging.Filter):
    """Scrapy's RobotsTxtMiddleware logs a robots.txt it could not download (refused, reset, timed out: a site
    that is down or hostile) with the whole traceback, once per host; its line already names the request and
    the error, and the site is crawled as if it had no robots.txt. The traceback goes for the network errors
    Scrapy retries (RETRY_EXCEPTIONS); any other exception keeps it."""

    def __init__(self, network_errors: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.network_errors = network_errors

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], self.network_errors):
            record.exc_info = record.exc_text = None
        return True


def quiet_robots_network_errors(settings: Settings) -> None:
    """Install NetworkErrorWithoutTraceback on the robots.txt middleware's logger (once per process)."""
    from scrapy.utils.misc import load_object

    robots_log = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    if not any(isinstance(f, NetworkErrorWithoutTraceback) for f in robots_log.filters):
        errors = tuple(load_object(e) if isinstance(e, str) else e for e in settings.getlist("RETRY_EXCEPTIONS"))
        robots_log.addFilter(NetworkErrorWithoutTraceback(errors))


def crawler_process(settings: Settings) -> CrawlerProcess:
    """Scrapy's CrawlerProcess, logging JSON when the settings say so (LOG_JSON, settings/env.py).

    Scrapy installs a text handler on the root logger unless told not to: Scrapy 2.19 reads the
    LOG_INSTALL_ROOT_HANDLER setting (and deprecates the argument), 2.18 only has the argument.
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import default_settings

    quiet_robots_network_errors(settings)
    if not settings.getbool("LOG_JSON"):
        return CrawlerProcess(settings)
    install_json_handler(settings.get("LOG_LEVEL", "INFO"))
    quiet_twisted_stderr()
    if hasattr(default_settings, "LOG_INSTALL_ROOT_HANDLER"):
        settings = settings.copy()
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
        return CrawlerProcess(settings)
    return CrawlerProcess(settings, install_root_handler=False)


def quiet_twisted_stderr() -> None:
    """Twisted prints its critical events ("Unhandled error in Deferred" and its traceback) as text on stderr
    until someone names its log targets, besides handing them to Scrapy's observer (which makes them JSON lines):
    name none, so those events are JSON lines only."""
    from twisted.logger import globalLogBeginner

    globalLogBeginner.beginLoggingTo([], discardBuffer=True, redirectStandardIO=False)


def configure_command_logging(verbose: bool) -> None:
    """Logging of a command that runs no Scrapy crawl (import, reextract): WARNING and up (DEBUG with
    --verbose), as text or, with LOG_FORMAT=json, JSON lines."""
    level = logging.DEBUG if verbose else logging.WARNING
    if json_requested():
        install_json_handler(level)
    else:
        logging.basicConfig(level=level, format="%(levelname)s %(message)s")


log = logging.getLogger("newsarchive")


def say(message: str, *, err: bool = False, event: str = "summary", level: int | None = None,
        data: Any = None) -> None:
    """A line of the CLI for the operator: printed (stderr if `err`), or in JSON mode a log line (WARNING for
    what goes to stderr)."""
    if json_requested():
        install_json_handler()
        assert _installed is not None
        record = log.makeRecord(log.name, level or (logging.WARNING if err else logging.INFO), __file__, 0,
                                message.strip(), (), None, extra={"event": event, "data": data})
        _installed.handle(record)  # whatever the log level: what the CLI says to the operator is always said
        return
    import typer

    typer.echo(message, err=err)
