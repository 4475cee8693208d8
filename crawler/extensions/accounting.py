"""Every response counted by status class, for the run and for its site, where the WARC capture sees it.

`response_downloaded` fires for every hop (redirects, retried attempts, robots.txt, error pages), so the counts
are of what the sites answered, the same responses the archive holds. A response of a request that carries no
site (robots.txt, which Scrapy requests itself) counts for the site whose domains hold its host, so a site's
counts match its server's log. Requests that got no answer are counted
by the spider's errback (network failures); pipelines/run/report.py owns the names and turns both into the run
report's counts.
"""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.middlewares.politeness import site_of
from crawler.scope import site_domains
from pipelines.extract.urls import host_in_domains
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

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        klass = status_class(response.status)
        if klass is None:
            return
        stats = self.crawler.stats
        stats.inc_value(response_stat(klass))
        site = site_of(request) or site_by_host(spider, request.url)
        if site:
            stats.inc_value(site_stat(site, f"responses_{klass}"))
            stats.inc_value(site_stat(site, "bytes"), len(response.body))


def site_by_host(spider: Spider, url: str) -> str | None:
    """The name of the spider's first site whose domains hold the URL's host."""
    host = urlsplit(url).hostname
    return next((name for name, site in (getattr(spider, "sites", None) or {}).items()
                 if host_in_domains(host, site_domains(site))), None)
