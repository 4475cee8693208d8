"""Scrapy glue for WARC capture: every downloaded response, as received, goes to the rotating writer.

`response_downloaded` fires before any downloader middleware's `process_response`, so it sees every
redirect hop, retried attempt, robots.txt fetch and error status, with the body still content-encoded.
The record building itself is Scrapy-free (`pipelines.warc.records`).

A payload the archive already holds for the same URL (uploaded and verified) is written as a `revisit`
record; a 304 to a conditional request as a `server-not-modified` revisit. Each capture is followed by a
metadata record with what the crawl knew about it (referer, redirect chain, fetch time, discovery).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol, Self
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from twisted.internet import task

from pipelines import __version__
from pipelines.state.digests import ArchivedPayload
from pipelines.warc.cdxj import LiveIndexes
from pipelines.warc.records import (
    REVISIT_IDENTICAL,
    REVISIT_NOT_MODIFIED,
    Exchange,
    HeaderList,
    Revisit,
    payload_digest,
    warc_date,
)
from pipelines.warc.writer import CaptureRef, RotatingWarcWriter

log = logging.getLogger(__name__)
ARCHIVED_SCHEMES = ("http", "https")
RENDERED_FLAG = "playwright"  # scrapy-playwright's flag on the responses it made from a browser page
CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")
RECORDS_CHECK_INTERVAL = 2.0  # seconds


class CaptureSession(Protocol):
    """What the capture needs of the crawl's ArchiveSession."""

    spool_root: Path
    crawl_id: str
    live_indexes: LiveIndexes | None

    def capture_held(self, warc_key: str, holder: object) -> None: ...

    def warc_closed(self, key: str) -> None: ...

    def finish_ready_records(self) -> None: ...

    def use_warc_writer(self, writer: RotatingWarcWriter) -> None: ...

    def archived_payload(self, url: str, payload_digest: str) -> ArchivedPayload | None: ...

    def payload_written(self, payload: ArchivedPayload) -> None: ...


class CaptureTimeMiddleware:
    """Downloader middleware at priority 1000 (last before the handler): stamps the capture time.

    Request and response records share this `WARC-Date`; retries and redirects are new requests and
    pass through here again, so each attempt gets its own time.
    """

    def process_request(self, request: Request) -> None:
        request.meta["warc_date"] = datetime.now(UTC)
        # A redirect copies meta: without this, a hop whose capture fails would keep pointing at the 301.
        request.meta.pop("warc", None)


def header_list(headers: Headers) -> HeaderList:
    """Every value of every header (`headers[k]` would keep only the last `Set-Cookie`)."""
    return [(bytes(name), bytes(value)) for name in headers for value in headers.getlist(name)]


def truncation(response: Response) -> str | None:
    """WARC-Truncated reason from the response flags: a lost connection, or a body cut on purpose."""
    if "dataloss" in response.flags:
        return "disconnect"
    if "download_stopped" in response.flags:
        return "length"
    return None


def exchange_from(response: Response, request: Request) -> Exchange:
    """The exchange as it went over the wire, from Scrapy's request and (still encoded) response."""
    ip_address = getattr(response, "ip_address", None)
    return Exchange(
        url=response.url,
        method=request.method,
        request_headers=header_list(request.headers),
        request_body=request.body,
        status=response.status,
        response_headers=header_list(response.headers),
        body=response.body,
        protocol=getattr(response, "protocol", None),
        ip_address=str(ip_address) if ip_address else None,
        date=request.meta.get("warc_date") or datetime.now(UTC),
        truncated=truncation(response),
    )


def capture_fields(request: Request) -> list[tuple[str, str]]:
    """The metadata record of a capture (warc-fields): what the crawl knew that the HTTP messages don't say."""
    fields: list[tuple[str, str]] = []
    discovery = (request.meta.get("newsarchive") or {}).get("discovery") or {}
    if discovery.get("source"):
        fields.append(("via", discovery["source"]))
    if discovery.get("via"):
        fields.append(("discovery", discovery["via"]))
    referer = request.headers.get(b"Referer")
    if referer:
        fields.append(("referer", referer.decode("latin-1")))
    fields += [("redirectedFrom", url) for url in request.meta.get("redirect_urls") or []]
    latency = request.meta.get("download_latency")
    if latency is not None:
        fields.append(("fetchTimeMs", str(round(latency * 1000))))
    return fields


def pointer(ref: CaptureRef, original: ArchivedPayload | None) -> dict[str, Any]:
    """The `warc` object of a record: bytes that can be read back (the original for a revisit), and where
    this capture is when it is a revisit."""
    if original is None:
        return {**ref.as_dict(), "revisit": None}
    revisit = {name: value for name, value in ref.as_dict().items() if name != "payload_digest"}
    return {**original.ref.as_dict(), "revisit": revisit}


def warcinfo_fields(crawler: Crawler, crawl_id: str, host: str) -> dict[str, str]:
    """What the warcinfo record says about the crawl that wrote the file."""
    settings = crawler.settings
    return {
        "software": f"newsarchive/{__version__} warcio/{version('warcio')}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "hostname": host,
        "operator": settings.get("WARC_OPERATOR") or "",
        "http-header-user-agent": settings.get("USER_AGENT") or "",
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "isPartOf": crawl_id,
    }


def file_host(hostname: str, crawl_id: str) -> str:
    """The `<host>` part of WARC names: the host plus the run's random suffix, so two crawls started in the same
    second on one host (serials both start at 0) never pick the same write-once key."""
    return f"{hostname}-{crawl_id.rsplit('-', 1)[-1]}"


class WarcCaptureExtension:
    """Writes every HTTP exchange of the crawl and tells the item side where the response landed."""

    def __init__(self, crawler: Crawler, session: CaptureSession) -> None:
        self.crawler = crawler
        host = socket.gethostname()
        self.session = session
        self.writer = RotatingWarcWriter(
            Path(session.spool_root),
            host=file_host(host, session.crawl_id),
            max_size=crawler.settings.getint("WARC_MAX_SIZE"),
            max_age=crawler.settings.getfloat("WARC_MAX_AGE"),
            warcinfo=warcinfo_fields(crawler, session.crawl_id, host),
            on_close=session.warc_closed,
            indexes=session.live_indexes,
        )
        session.use_warc_writer(self.writer)
        self.records_check: task.LoopingCall | None = None

    @classmethod
    def session_for(cls, crawler: Crawler) -> CaptureSession:
        """The crawl's archive session (tests override this with a stand-in)."""
        from crawler.session import archive_session

        return archive_session(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler, cls.session_for(crawler))
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        # Records files finish when their last capture's request is freed, which no write of ours sees: a crawl
        # that waits (a held response, a long delay) still gets them out.
        self.records_check = task.LoopingCall(self.session.finish_ready_records)
        self.records_check.start(RECORDS_CHECK_INTERVAL, now=False)

    def spider_closed(self) -> None:
        if self.records_check is not None and self.records_check.running:
            self.records_check.stop()

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Archive one hop; `request.meta["warc"]` (also `response.meta`) points at its record."""
        if urlsplit(response.url).scheme not in ARCHIVED_SCHEMES:
            return  # data:, file:, ftp: ... are not HTTP exchanges
        if RENDERED_FLAG in response.flags:
            return  # a rendered DOM, not what a server sent: the page's exchanges were archived as they happened
        conditional = exchange_is_conditional(request.headers)
        warc = self.archive(lambda: exchange_from(response, request), capture_fields(request), conditional=conditional,
                            what=f"{request.method} {response.url}", holder=request)
        if warc is not None:
            request.meta["warc"] = warc

    def archive(self, exchange_of: Callable[[], Exchange], fields: list[tuple[str, str]], *, conditional: bool,
                what: str, holder: object | None) -> dict[str, Any] | None:
        """Write one exchange (or its revisit) and its metadata record; the record's `warc` pointer, or None when the
        capture failed (logged and counted: one failed capture must not stop the crawl). Also used for the
        exchanges of rendered pages (crawler/render/capture.py).

        The WARC's records file waits for `holder`, the Scrapy request whose record (if it makes one) is built from
        this capture: Scrapy keeps it until the response's items are through the item pipelines. Held before
        anything else can run, even when this write closed the WARC.
        """
        stats = self.crawler.stats
        try:
            exchange = exchange_of()
            revisit, original = self.revisit_for(exchange, conditional=conditional)
            ref = self.writer.write_exchange(exchange, revisit=revisit, capture_fields=fields)
        except Exception:
            log.exception("WARC capture failed for %s", what)
            if stats:
                stats.inc_value("warc/write_errors")
            return None
        if holder is not None:
            self.session.capture_held(ref.key, holder)
        if revisit is None:
            self.session.payload_written(ArchivedPayload(exchange.url, warc_date(exchange.date), ref))
        if stats:
            stats.inc_value("warc/exchanges")
            if revisit is not None:
                stats.inc_value("warc/revisits")
        return pointer(ref, original)

    def revisit_for(self, exchange: Exchange, *, conditional: bool) -> tuple[Revisit | None, ArchivedPayload | None]:
        """(revisit to write, the original it stands for) — or (None, None) to write the full response.

        Empty or cut bodies are always written in full: a revisit would save nothing or mislead.
        """
        if exchange.status == 304 and conditional:
            return Revisit(REVISIT_NOT_MODIFIED, exchange.url), None
        if not exchange.body or exchange.truncated:
            return None, None
        original = self.session.archived_payload(exchange.url, payload_digest(exchange.body))
        if original is None:
            return None, None
        return Revisit(REVISIT_IDENTICAL, original.url, original.ref.record_id, original.date), original


def exchange_is_conditional(headers: Headers | HeaderList) -> bool:
    """Did the request carry a validator (so a 304 answers our conditional GET)?"""
    if isinstance(headers, Headers):
        return any(headers.get(name) for name in CONDITIONAL_HEADERS)
    names = {name.lower() for name in CONDITIONAL_HEADERS}
    return any(name.lower() in names and value for name, value in headers)


def capture_extension(crawler: Crawler) -> WarcCaptureExtension | None:
    """The crawl's WARC capture, for the parts that archive exchanges Scrapy's downloader did not make."""
    extensions = getattr(crawler, "extensions", None)
    for extension in getattr(extensions, "middlewares", ()):
        if isinstance(extension, WarcCaptureExtension):
            return extension
    return None
