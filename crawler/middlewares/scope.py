"""Downloader middleware: every request entering the downloader meets crawler.scope's rule.

The spider's request factory already applies it; this catches what Scrapy's own middlewares make from a
response (redirects, meta refreshes) and anything else handed to the engine. It runs before
RobotsTxtMiddleware, so an out-of-scope URL does not even get its robots.txt fetched. A robots.txt request
carries no site (Scrapy makes it, once per host); when it is redirected, the hop must stay in scope for a site
whose domains hold the host the chain began at, so a robots.txt redirecting off the site is not followed (as if
there were none: everything allowed), one redirecting within it is followed and obeyed.
"""

from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.scope import DEFAULT_MAX_URL_LENGTH, MalformedURL, absolute_url, refusal, refusals_of, site_domains
from crawler.sites import Site
from pipelines.extract.urls import host_in_domains


class ScopeMiddleware:
    """Refuse non-http(s), malformed, off-site and denied requests (the site is the one in request.meta)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_length = crawler.settings.getint("URLLENGTH_LIMIT") or DEFAULT_MAX_URL_LENGTH

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request, spider: object = None) -> None:
        try:
            url = absolute_url(request.url, max_length=self.max_length)
            site = self._site(request, url)
            reason = refusal(url, site)
        except MalformedURL as error:
            reason = "malformed"
            detail = str(error)
        else:
            detail = f"site {site.name}" if site is not None and reason != "scheme" else ""
        if reason is None:
            return
        refusals_of(self.crawler).note(reason, request.url, detail)
        raise IgnoreRequest(f"out of scope ({reason}): {request.url[:200]}")

    def _site(self, request: Request, url: str) -> Site | None:
        """The request's site; for a site-less redirect hop (robots.txt's), a site whose domains hold the chain's
        first host, one that takes `url` when there is one. None (scheme check only) when nothing places it."""
        sites: dict[str, Site] = getattr(self.crawler.spider, "sites", {})
        site_name = (request.meta.get("newsarchive") or {}).get("site")
        if site_name:
            return sites.get(site_name)
        chain = request.meta.get("redirect_urls")
        if not chain:
            return None
        origin = urlsplit(chain[0]).hostname
        owners = [site for site in sites.values() if host_in_domains(origin, site_domains(site))]
        return next((site for site in owners if refusal(url, site) is None), owners[0] if owners else None)
