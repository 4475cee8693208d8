"""The network guard: the reactor's name resolver, which hands out public addresses only.

A news crawler follows links from untrusted pages; without a guard one link to http://169.254.169.254/
or http://localhost:6379/ makes it an SSRF tool. Checking a host before the request and letting Twisted
resolve it again at connect time leaves a gap (DNS rebinding: public address for the check, private one
for the connection). So the guard *is* the resolver (Scrapy's TWISTED_DNS_RESOLVER / DNS_RESOLVER
setting): every connection Twisted makes for an http(s) request gets its addresses from here, and a
non-public address is never handed out unless the host's site opted in with `allow_private_network`.
What is checked is what is connected to.

- IP literals in every spelling the C library accepts (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`,
  `[::1]`, `::ffff:127.0.0.2`, zone ids, `0.0.0.0`) are parsed here and never looked up.
- Names are looked up off the reactor thread (getaddrinfo in the reactor's thread pool), or, with
  DNS_SERVERS set, by asking those servers over UDP (Twisted Names), which also gives real TTLs.
- Answers are cached, bounded in size (DNSCACHE_SIZE, least recently used out first) and in time
  (DNSCACHE_TTL, or the record's TTL when lower); concurrent lookups of one name share one query.

The address policy itself (literals, public, never allowed) is crawler.addresses.
crawler.middlewares.netguard asks the same resolver before a request is sent (so a refused host is
dropped with a clear reason rather than retried as a DNS failure) and checks `response.ip_address`.
"""

import ipaddress
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Self
from urllib.parse import urlsplit
from urllib.request import getproxies

from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from zope.interface import implementer

from crawler.addresses import Address, ip_literal, may_connect
from pipelines.extract.urls import host_in_domains

log = logging.getLogger(__name__)

NEGATIVE_TTL = 30.0  # a name that did not resolve is asked again after this long (or DNSCACHE_TTL if lower)


@dataclass(frozen=True)
class Verdict:
    """What a host resolved to, split by the policy: `allowed` may be connected to, `refused` may not."""

    allowed: tuple[Address, ...]
    refused: tuple[Address, ...]


class TTLCache:
    """At most `size` entries, the least recently used dropped first; each expires after its own TTL."""

    def __init__(self, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self.entries: OrderedDict[str, tuple[float, tuple[Address, ...]]] = OrderedDict()

    def get(self, key: str) -> tuple[Address, ...] | None:
        found = self.entries.get(key)
        if found is None:
            return None
        expires, value = found
        if self.clock() >= expires:
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return value

    def put(self, key: str, value: tuple[Address, ...], ttl: float) -> None:
        if self.size <= 0 or ttl <= 0:
            return
        self.entries[key] = (self.clock() + ttl, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


Lookup = Callable[[str], "defer.Deferred[tuple[tuple[Address, ...], float | None]]"]


def system_lookup(reactor: Any, timeout: float) -> Lookup:
    """getaddrinfo in the reactor's thread pool (the system's resolver: /etc/hosts, nsswitch); no TTLs."""

    def lookup(host: str) -> "defer.Deferred[tuple[tuple[Address, ...], float | None]]":
        found = deferToThreadPool(reactor, reactor.getThreadPool(), socket.getaddrinfo, host, None, 0,
                                  socket.SOCK_STREAM)
        found.addTimeout(timeout, reactor)
        return found.addCallback(lambda infos: (_unique(info[4][0] for info in infos), None))

    return lookup


def dns_server_lookup(reactor: Any, servers: Sequence[tuple[str, int]], timeout: float) -> Lookup:
    """A and AAAA queries to the given servers over UDP (Twisted Names); the TTL is the answers' lowest."""
    from twisted.names import client, dns

    resolver = client.Resolver(servers=list(servers), reactor=reactor, timeout=(max(1, round(timeout)),))

    def records(result: Any, kind: int) -> list[Any]:
        if isinstance(result, Failure):
            return []
        answers, _authority, _additional = result
        return [record for record in answers if record.type == kind]

    def lookup(host: str) -> "defer.Deferred[tuple[tuple[Address, ...], float | None]]":
        queries = [resolver.lookupAddress(host).addBoth(records, dns.A),
                   resolver.lookupIPV6Address(host).addBoth(records, dns.AAAA)]

        def combine(results: list[list[Any]]) -> tuple[tuple[Address, ...], float | None]:
            found = [record for result in results for record in result]
            addresses = _unique(socket.inet_ntop(socket.AF_INET if record.type == dns.A else socket.AF_INET6,
                                                 record.payload.address) for record in found)
            return addresses, min((record.ttl for record in found), default=None)

        return defer.gatherResults(queries).addCallback(combine)

    return lookup


def _unique(addresses: Iterable[str]) -> tuple[Address, ...]:
    found: dict[Address, None] = {}
    for address in addresses:
        found[ipaddress.ip_address(address.split("%", 1)[0])] = None
    return tuple(found)


class ResolverConfigError(ValueError):
    """A resolver setting that cannot be used; the message names it and says how to fix it."""


def dns_servers(values: Iterable[str]) -> list[tuple[str, int]]:
    """DNS_SERVERS entries (`1.2.3.4`, `1.2.3.4:5353`, `[::1]:53`) as (host, port) pairs."""
    servers = []
    for value in values:
        try:
            parts = urlsplit(f"//{value}")
            host, port = parts.hostname, parts.port
        except ValueError:
            host = port = None
        if not host or ip_literal(host) is None:
            raise ResolverConfigError(f"DNS_SERVERS (NEWSARCHIVE_DNS_SERVERS): bad server {value!r} — expected an "
                                      'IP address with an optional port, like ["10.0.0.2", "[::1]:5353"]')
        servers.append((host, port or 53))
    return servers


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> NoReturn:
        raise NotImplementedError("a name resolution cannot be cancelled")


@implementer(IHostnameResolver)
class GuardedResolver:
    """IHostnameResolver that hands out only the addresses the guard allows; see the module docstring."""

    def __init__(self, reactor: Any, lookup: Lookup, *, cache_size: int = 10_000, max_ttl: float = 300.0) -> None:
        self.reactor = reactor
        self.lookup = lookup
        self.cache = TTLCache(cache_size)
        self.max_ttl = max_ttl
        self.pending: dict[str, list[defer.Deferred[tuple[Address, ...]]]] = {}
        # A proxy is connected to instead of the target (which the proxy resolves), so its host is allowed.
        self.private_hosts: frozenset[str] = frozenset(
            host for url in getproxies().values() if isinstance(url, str)
            for host in [urlsplit(url if "//" in url else f"//{url}").hostname] if host)
        self.refused_at_connect = 0

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> Self:
        """Built by Scrapy's CrawlerProcess (which passes itself: only `settings` is there) or by the netguard."""
        settings = crawler.settings
        timeout = settings.getfloat("DNS_TIMEOUT") or 60.0
        servers = dns_servers(settings.getlist("DNS_SERVERS"))
        lookup = dns_server_lookup(reactor, servers, timeout) if servers else system_lookup(reactor, timeout)
        size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED", True) else 0
        return cls(reactor, lookup, cache_size=size, max_ttl=settings.getfloat("DNSCACHE_TTL", 300.0))

    def install_on_reactor(self) -> None:
        """Become the reactor's resolver, unless a GuardedResolver already is: the netguard installs one when a
        crawler is created, which is before CrawlerProcess.start() applies the resolver setting, and the sites'
        opt-ins live on that one."""
        if not isinstance(getattr(self.reactor, "nameResolver", None), GuardedResolver):
            self.reactor.installNameResolver(self)

    def allow_private_network(self, hosts: Iterable[str]) -> None:
        """Hosts (and their subdomains) of sites that opted in with `allow_private_network: true`."""
        self.private_hosts = self.private_hosts | {host.lower() for host in hosts}

    def addresses(self, host: str) -> "defer.Deferred[tuple[Address, ...]]":
        """Every address `host` stands for: the literal itself, or the (cached) answer of a lookup."""
        literal = ip_literal(host)
        if literal is not None:
            return defer.succeed((literal,))
        key = host.lower()
        cached = self.cache.get(key)
        if cached is not None:
            return defer.succeed(cached)
        waiting: defer.Deferred[tuple[Address, ...]] = defer.Deferred()
        if key in self.pending:
            self.pending[key].append(waiting)
            return waiting
        self.pending[key] = [waiting]
        defer.maybeDeferred(self.lookup, key).addBoth(self._answered, key)
        return waiting

    def _answered(self, result: Any, key: str) -> None:
        addresses: tuple[Address, ...] = ()
        record_ttl = None
        if isinstance(result, Failure):  # no such name, timeout, server failure: not resolvable for now
            log.debug("name lookup of %s failed: %s", ascii(key), result.getErrorMessage())
        else:
            addresses, record_ttl = result
        ttl = NEGATIVE_TTL if not addresses else self.max_ttl if record_ttl is None else record_ttl
        self.cache.put(key, addresses, min(ttl, self.max_ttl))
        for waiting in self.pending.pop(key, []):
            waiting.callback(addresses)

    def check(self, host: str) -> "defer.Deferred[Verdict]":
        """The host's addresses split into those that may and may not be connected to."""
        opted_in = host_in_domains(host, self.private_hosts)
        return self.addresses(host).addCallback(lambda addresses: self.verdict(addresses, opted_in=opted_in))

    def permits(self, host: str, address: Address) -> bool:
        """May a connection for `host` go to `address`? (Used on the address a response actually came from.)"""
        return may_connect(address, opted_in=host_in_domains(host, self.private_hosts))

    @staticmethod
    def verdict(addresses: tuple[Address, ...], *, opted_in: bool) -> Verdict:
        allowed = tuple(a for a in addresses if may_connect(a, opted_in=opted_in))
        return Verdict(allowed, tuple(a for a in addresses if a not in allowed))

    def resolveHostName(self, resolutionReceiver: IResolutionReceiver, hostName: str, portNumber: int = 0,
                        addressTypes: Sequence[type[IAddress]] | None = None,
                        transportSemantics: str = "TCP") -> IHostResolution:
        """IHostnameResolver: what Twisted's HostnameEndpoint calls for every connection it makes."""
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def deliver(result: Verdict | Failure) -> None:
            if isinstance(result, Failure):
                log.error("name resolution of %s failed: %s", ascii(hostName), result.getErrorMessage())
            else:
                if result.refused and not result.allowed:  # passed the check before the request: rebinding?
                    self.refused_at_connect += 1
                    log.log(logging.WARNING if self.refused_at_connect == 1 else logging.DEBUG,
                            "not connecting to %s: it now resolves to non-public %s only (DNS rebinding?); "
                            "counted in newsarchive/refused/private_network_at_connect", ascii(hostName),
                            ", ".join(map(str, result.refused)))
                elif result.refused:
                    log.debug("%s: leaving out its non-public %s", ascii(hostName), ", ".join(map(str, result.refused)))
                semantics = "UDP" if transportSemantics == "UDP" else "TCP"
                for ip in result.allowed:
                    kind = IPv4Address if ip.version == 4 else IPv6Address
                    if addressTypes is None or kind in addressTypes:
                        resolutionReceiver.addressResolved(kind(semantics, str(ip), portNumber))
            resolutionReceiver.resolutionComplete()

        self.check(hostName).addBoth(deliver)
        return resolution


def installed_resolver(crawler: Any) -> GuardedResolver:
    """The reactor's GuardedResolver, installed now if the settings did not make it the resolver (a runner
    that skips Scrapy's resolver setup, or another resolver configured): the guard always applies."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "nameResolver", None)
    if not isinstance(resolver, GuardedResolver):
        log.debug("installing the network guard's resolver (the reactor had %r)", resolver)
        GuardedResolver.from_crawler(crawler, reactor).install_on_reactor()
    return reactor.nameResolver
