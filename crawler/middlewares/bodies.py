"""The body the spider gets: content codings undone with a size bound, incomplete bodies kept out.

settings/base.py switches Scrapy's HttpCompressionMiddleware off and puts this one in its place (same order, 590).
Why our own: Scrapy 2.13 inflates with no bound per step, so a 2 KB brotli bomb becomes 1 GiB in one call, and
Scrapy's size limit is DOWNLOAD_MAXSIZE, which also makes the download handler drop large responses before the
WARC capture sees them. Here DECODED_MAX_SIZE bounds only the decoded copy the spider gets. The capture has already
archived every response as received (`response_downloaded` fires before any `process_response`), so whatever
this middleware keeps from the spider is in the WARC:
- a body that decodes to more than DECODED_MAX_SIZE (a decompression bomb) or does not decode at all: one warning;
- a body cut at ARCHIVE_MAX_RESPONSE_SIZE (an endless stream, a giant file): its document is incomplete, and
  parsing 50 MiB of it costs the crawl hundreds of MB; ResponseSizeCap already logged it.

Accept-Encoding leaves out zstd: pywb 2.10 cannot replay it (it strips the header and serves the raw frame). A
server that sends zstd anyway is archived as received and decoded here like the rest.
"""

from __future__ import annotations

import gc
import logging
from typing import Any, NoReturn, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes

from pipelines.warc.codings import DecodedTooLarge, UndecodableBody, content_codings, decodable_codings, decode

log = logging.getLogger(__name__)

ACCEPT_ENCODING = b"gzip, deflate, br"
NOT_PARSED_STAT = "newsarchive/not_parsed/{}"  # decoded_too_large, undecodable, truncated
COLLECT_AFTER_SKIPPING = 1 << 20  # bytes of a skipped body worth a garbage collection
GC_DELAY = 1.0  # seconds: by then the failure has gone through the errbacks and is garbage


class SpiderBodyMiddleware:
    """Downloader middleware; see module docstring."""

    def __init__(self, crawler: Crawler, max_size: int) -> None:
        self.crawler = crawler
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getint("DECODED_MAX_SIZE"))

    def process_request(self, request: Request, **_: Any) -> None:
        request.headers.setdefault(b"Accept-Encoding", ACCEPT_ENCODING)

    def process_response(self, request: Request, response: Response, **_: Any) -> Response:
        if "download_stopped" in response.flags:
            self._skip("truncated", f"{response.url}: cut at ARCHIVE_MAX_RESPONSE_SIZE", len(response.body), warn=False)
        if request.method == "HEAD":
            return response
        kept, undo = decodable_codings(content_codings(response.headers.getlist(b"Content-Encoding")))
        if not undo:
            return response
        problem = None
        try:
            body = decode(response.body, undo, self.max_size)
        except DecodedTooLarge:
            problem = ("decoded_too_large", f"{response.url}: its {'+'.join(undo)} body decodes to more than "
                                            f"DECODED_MAX_SIZE ({self.max_size} bytes; {len(response.body)} received)")
        except UndecodableBody as error:
            problem = ("undecodable", f"{response.url}: {error}")
        if problem:  # raised outside the except clause, so the decoding's frames are not chained to it
            self._skip(*problem, len(response.body))
        headers = response.headers.copy()
        if kept:
            headers[b"Content-Encoding"] = b", ".join(coding.encode("latin-1") for coding in kept)
        else:
            del headers[b"Content-Encoding"]
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        # encoding=None: the charset is sniffed again from the decoded bytes (as Scrapy's own middleware does)
        extra: dict[str, Any] = {"encoding": None} if issubclass(cls, TextResponse) else {}
        return response.replace(cls=cls, body=body, headers=headers, **extra)

    def _skip(self, why: str, reason: str, size: int, *, warn: bool = True) -> NoReturn:
        """Keep the response from the spider. Twisted's failure keeps it in reference cycles (failure, traceback,
        frames) that only the garbage collector frees, maybe minutes later: with a large body, collect soon."""
        self.crawler.stats.inc_value(NOT_PARSED_STAT.format(why))
        log.log(logging.WARNING if warn else logging.DEBUG, "%s: archived as received, not parsed", reason)
        if size >= COLLECT_AFTER_SKIPPING:
            from twisted.internet import reactor

            reactor.callLater(GC_DELAY, gc.collect)
        raise IgnoreRequest(reason)
