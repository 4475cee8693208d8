"""Downloader middleware of the network guard (the rule itself is crawler.resolver's).

The resolver already hands Twisted only allowed addresses, so nothing private is ever connected to.
This middleware adds what a resolver cannot: a refused host is dropped *before* the download with a
clear reason and a count (at connect time it could only look like a DNS failure, retried twice), the
opted-in hosts of the sites file are handed to the resolver, and the address a response actually came
from (`response.ip_address`) is checked, in case a download handler bypassed the reactor's resolver.
"""

import logging
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

from crawler.resolver import GuardedResolver, installed_resolver
from crawler.scope import refusals_of

log = logging.getLogger(__name__)

HINT = "set allow_private_network: true for its site if this is intended"


class PrivateNetworkGuardMiddleware:
    """Refuse requests whose host stands only for non-public addresses; see module docstring."""

    def __init__(self, crawler: Crawler, resolver: GuardedResolver) -> None:
        self.crawler = crawler
        self.resolver = resolver
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, installed_resolver(crawler))

    def spider_opened(self, spider: Any) -> None:
        self.resolver.allow_private_network(getattr(spider, "private_network_hosts", ()))

    def spider_closed(self, spider: Any) -> None:
        if self.resolver.refused_at_connect and self.crawler.stats is not None:
            self.crawler.stats.set_value("newsarchive/refused/private_network_at_connect",
                                         self.resolver.refused_at_connect)

    async def process_request(self, request: Request, spider: object = None) -> None:
        host = urlparse_cached(request).hostname or ""
        verdict = await maybe_deferred_to_future(self.resolver.check(host))
        if verdict.refused and not verdict.allowed:
            refusals_of(self.crawler).note("private_network", request.url,
                                           f"{host} is non-public {verdict.refused[0]}; {HINT}")
            raise IgnoreRequest(f"non-public address {verdict.refused[0]} for {host}")

    def process_response(self, request: Request, response: Response, spider: object = None) -> Response:
        address = response.ip_address
        if address is None or request.meta.get("proxy"):  # through a proxy, the peer is the proxy
            return response
        host = urlparse_cached(request).hostname or ""
        if self.resolver.permits(host, address):
            return response
        log.error("%s was answered from non-public %s although the resolver refuses it (a download handler "
                  "that bypasses the reactor's resolver?); response dropped", ascii(request.url[:200]), address)
        refusals_of(self.crawler).note("private_network", request.url, f"connected to {address}")
        raise IgnoreRequest(f"answered from non-public address {address}")
