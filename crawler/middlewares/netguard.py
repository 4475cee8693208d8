"""Refuse requests to loopback, private, link-local and other non-public addresses.

A news crawler follows links from untrusted pages; without this, one link to http://169.254.169.254/
or http://localhost:6379/ makes it an SSRF tool. Sites on such addresses (tests, intranets) opt in
with `allow_private_network: true` in the sites file.
"""

import ipaddress
import logging
import socket
from functools import lru_cache
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from pipelines.extract.urls import host_in_domains

log = logging.getLogger(__name__)


def is_public_address(address: str) -> bool:
    """True for globally routable unicast addresses only."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@lru_cache(maxsize=4096)
def resolve(host: str) -> tuple[str, ...]:
    """Addresses a host name resolves to (cached: the guard runs on every request)."""
    try:
        return tuple(sorted({info[4][0] for info in socket.getaddrinfo(host, None)}))
    except (socket.gaierror, UnicodeError):
        return ()


def non_public_address(host: str) -> str | None:
    """The first non-public address the host resolves to, or None if all are public (or it doesn't resolve)."""
    for address in resolve(host):
        if not is_public_address(address):
            return address
    return None


class PrivateNetworkGuardMiddleware:
    """Downloader middleware; the spider's `private_network_hosts` lists hosts whose sites opted in."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        host = (urlparse_cached(request).hostname or "").lower()
        if host_in_domains(host, getattr(self.crawler.spider, "private_network_hosts", ())):
            return
        address = non_public_address(host)
        if address is None:
            return
        self.crawler.stats.inc_value("newsarchive/refused_private_network")
        if host not in self.warned:
            self.warned.add(host)
            log.warning("refusing %s: %s resolves to non-public address %s (set allow_private_network: true "
                        "for its site if this is intended)", request.url, host, address)
        raise IgnoreRequest(f"non-public address {address} for {host}")
