"""Scrapy glue for WARC capture: every downloaded response, as received, goes to the rotating writer.

`response_downloaded` fires before any downloader middleware's `process_response`, so it sees every
redirect hop, retried attempt, robots.txt fetch and error status, with the body still content-encoded.
The record building itself is Scrapy-free (`pipelines.warc`).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Protocol, Self
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response

from crawler import __version__
from pipelines.warc import Exchange, HeaderList
from pipelines.warc_writer import RotatingWarcWriter

log = logging.getLogger(__name__)
ARCHIVED_SCHEMES = ("http", "https")


class CaptureSession(Protocol):
    """What the capture needs of the crawl's ArchiveSession."""

    spool_root: Path
    crawl_id: str

    def warc_closed(self, key: str) -> None: ...

    def add_closer(self, closer: Callable[[], None]) -> None: ...


class CaptureTimeMiddleware:
    """Downloader middleware at priority 1000 (last before the handler): stamps the capture time.

    Request and response records share this `WARC-Date`; retries and redirects are new requests and
    pass through here again, so each attempt gets its own time.
    """

    def process_request(self, request: Request) -> None:
        request.meta["warc_date"] = datetime.now(UTC)


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


class WarcCaptureExtension:
    """Writes every HTTP exchange of the crawl and tells the item side where the response landed."""

    def __init__(self, crawler: Crawler, session: CaptureSession) -> None:
        self.crawler = crawler
        host = socket.gethostname()
        self.writer = RotatingWarcWriter(
            Path(session.spool_root),
            host=host,
            max_size=crawler.settings.getint("WARC_MAX_SIZE"),
            warcinfo=warcinfo_fields(crawler, session.crawl_id, host),
            on_close=session.warc_closed,
        )
        session.add_closer(self.writer.close)

    @classmethod
    def session_for(cls, crawler: Crawler) -> CaptureSession:
        """The crawl's archive session (tests override this with a stand-in)."""
        from pipelines.session import ArchiveSession

        return ArchiveSession.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler, cls.session_for(crawler))
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        return extension

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Archive one hop; `request.meta["warc"]` (also `response.meta`) points at its record."""
        stats = self.crawler.stats
        if urlsplit(response.url).scheme not in ARCHIVED_SCHEMES:
            return  # data:, file:, ftp: ... are not HTTP exchanges
        try:
            ref = self.writer.write_exchange(exchange_from(response, request))
        except Exception:
            # One failed capture must not stop the crawl; the run report shows the count.
            log.exception("WARC capture failed for %s %s", request.method, response.url)
            if stats:
                stats.inc_value("warc/write_errors")
            return
        request.meta["warc"] = ref.as_dict()
        if stats:
            stats.inc_value("warc/exchanges")
