"""Downloader middleware: every request entering the downloader meets crawler.scope's rule.

The spider's request factory already applies it; this catches what Scrapy's own middlewares make from a
response (redirects, meta refreshes) and anything else handed to the engine. It runs before
RobotsTxtMiddleware, so an out-of-scope URL does not even get its robots.txt fetched.
"""

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.scope import DEFAULT_MAX_URL_LENGTH, MalformedURL, absolute_url, refusal, refusals_of


class ScopeMiddleware:
    """Refuse non-http(s), malformed, off-site and denied requests (the site is the one in request.meta)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_length = crawler.settings.getint("URLLENGTH_LIMIT") or DEFAULT_MAX_URL_LENGTH

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request, spider: object = None) -> None:
        site_name = (request.meta.get("newsarchive") or {}).get("site")
        site = getattr(self.crawler.spider, "sites", {}).get(site_name) if site_name else None
        try:
            reason = refusal(absolute_url(request.url, max_length=self.max_length), site)
        except MalformedURL as error:
            reason = "malformed"
            detail = str(error)
        else:
            detail = f"site {site.name}" if site is not None and reason != "scheme" else ""
        if reason is None:
            return
        refusals_of(self.crawler).note(reason, request.url, detail)
        raise IgnoreRequest(f"out of scope ({reason}): {request.url[:200]}")
