"""Every response counted by status class, for the run and for its site, where the WARC capture sees it.

`response_downloaded` fires for every hop (redirects, retried attempts, robots.txt, error pages), so the counts
are of what the sites answered, the same responses the archive holds. Requests that got no answer are counted
by the spider's errback (network failures); pipelines/run/report.py owns the names and turns both into the run
report's counts.
"""

from __future__ import annotations

from typing import Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from pipelines.run.report import response_stat, site_stat, status_class


class ResponseAccounting:
    """Scrapy extension: stats `newsarchive/responses_4xx`, `newsarchive/site/<site>/responses_4xx` and the
    site's `bytes` (bodies as received)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        return extension

    def response_downloaded(self, response: Response, request: Request) -> None:
        klass = status_class(response.status)
        if klass is None:
            return
        stats = self.crawler.stats
        stats.inc_value(response_stat(klass))
        site = (request.meta.get("newsarchive") or {}).get("site")
        if site:
            stats.inc_value(site_stat(site, f"responses_{klass}"))
            stats.inc_value(site_stat(site, "bytes"), len(response.body))
