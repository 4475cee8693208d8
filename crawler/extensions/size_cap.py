"""Our response size cap: a body over `ARCHIVE_MAX_RESPONSE_SIZE` is cut, never dropped.

Scrapy's own `DOWNLOAD_MAXSIZE` cancels the download before `response_downloaded` fires, so the
capture never sees it and the response is lost without a trace. Stopping the download with
`StopDownload(fail=False)` instead delivers what arrived so far, flagged `download_stopped`, which the
WARC capture records as `WARC-Truncated: length`. Keep `DOWNLOAD_MAXSIZE = 0` so Scrapy does not
cancel first. The spider never parses the cut body (crawler.middlewares.bodies): its document is incomplete.
"""

from __future__ import annotations

import logging
from typing import Any, Self
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload

log = logging.getLogger(__name__)


class ResponseSizeCap:
    """Extension on `bytes_received`: counts each download's bytes, stops it once over the cap."""

    def __init__(self, crawler: Crawler, max_size: int) -> None:
        self.crawler = crawler
        self.max_size = max_size
        # Per request object: a retry is a new Request (meta is copied), so it starts from zero.
        self._received: WeakKeyDictionary[Request, int] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        max_size = crawler.settings.getint("ARCHIVE_MAX_RESPONSE_SIZE")
        if max_size <= 0:
            raise NotConfigured("ARCHIVE_MAX_RESPONSE_SIZE is 0: no size cap")
        if crawler.settings.getint("DOWNLOAD_MAXSIZE"):
            log.warning("DOWNLOAD_MAXSIZE is set: Scrapy drops larger responses before they are archived; "
                        "set it to 0 and use ARCHIVE_MAX_RESPONSE_SIZE")
        extension = cls(crawler, max_size)
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        return extension

    def bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        received = self._received.get(request, 0) + len(data)
        self._received[request] = received
        if received > self.max_size:
            del self._received[request]
            if self.crawler.stats:
                self.crawler.stats.inc_value("newsarchive/truncated_responses")
            log.warning("response of %s cut at %d bytes (ARCHIVE_MAX_RESPONSE_SIZE %d); archived as truncated, "
                        "not parsed",
                        request.url, received, self.max_size)
            raise StopDownload(fail=False)
