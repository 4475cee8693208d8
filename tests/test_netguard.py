"""The network guard's rule (crawler/resolver.py): which addresses are public, what a host name spells, the
bounded TTL cache, and what the resolver hands Twisted for a connection. Real crawls through it (literal
spellings, DNS rebinding against a real DNS server over UDP, canary listeners) are in test_rebinding.py.
"""

import ipaddress
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address

from crawler.addresses import Address, ip_literal, is_public_address
from crawler.middlewares.netguard import PrivateNetworkGuardMiddleware
from crawler.resolver import GuardedResolver, TTLCache, dns_servers


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.1", "192.168.1.1",
                                     "169.254.169.254", "100.100.100.200", "0.0.0.0", "224.0.0.1", "::1", "::",
                                     "fe80::1", "fe80::1%eth0", "fc00::1", "fd00:ec2::254", "::ffff:127.0.0.1",
                                     "::ffff:169.254.169.254", "2002:7f00:1::", "64:ff9b::a9fe:a9fe",
                                     "::127.0.0.1", "ff02::1"])
def test_non_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
                                     "::ffff:8.8.8.8", "2002:808:808::"])
def test_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("host, address", [
    ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"), ("127.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"), ("0", "0.0.0.0"),
    ("0.0.0.0", "0.0.0.0"), ("2852039166", "169.254.169.254"), ("0251.0376.0251.0376", "169.254.169.254"),
    ("127.0.0.1.", "127.0.0.1"), ("[::1]", "::1"), ("::1", "::1"), ("::ffff:127.0.0.2", "::ffff:127.0.0.2"),
    ("::ffff:7f00:2", "::ffff:127.0.0.2"), ("fe80::1%25eth0", "fe80::1%eth0"), ("FE80::1%eth0", "fe80::1%eth0"),
])
def test_ip_literals_in_every_spelling(host: str, address: str) -> None:
    assert ip_literal(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["news.example", "localhost", "127.0.0.1.nip.io", "1.2.3.4.5", "08.1.1.1",
                                  "127.0.0.1 x", "cafe.babe", "0x", "[::1", ""])
def test_names_are_not_literals(host: str) -> None:
    assert ip_literal(host) is None


def test_cache_is_bounded_in_size_and_time() -> None:
    now = [0.0]
    cache = TTLCache(2, clock=lambda: now[0])
    one, two = (ipaddress.ip_address("1.1.1.1"),), (ipaddress.ip_address("2.2.2.2"),)
    cache.put("a", one, 10)
    cache.put("b", two, 100)
    assert cache.get("a") == one  # a is now the most recently used
    cache.put("c", two, 100)
    assert cache.get("b") is None and cache.get("a") == one, "least recently used goes first"
    now[0] = 10.0
    assert cache.get("a") is None and cache.get("c") == two, "expired after its own TTL"
    cache.put("d", one, 0)
    assert cache.get("d") is None, "TTL 0 is not cached"


class Receiver:
    """What Twisted's HostnameEndpoint passes to a resolver: it collects the addresses handed out."""

    def __init__(self) -> None:
        self.addresses: list[Any] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.complete = True


class Answers:
    """A scripted name lookup (the DNS step only): each call for a name returns its next answer."""

    def __init__(self, answers: dict[str, list[list[str]]], ttl: float | None = None) -> None:
        self.answers = answers
        self.ttl = ttl
        self.calls: list[str] = []

    def __call__(self, host: str) -> "defer.Deferred[tuple[tuple[Address, ...], float | None]]":
        self.calls.append(host)
        queue = self.answers[host]
        found = queue.pop(0) if len(queue) > 1 else queue[0]
        return defer.succeed((tuple(ipaddress.ip_address(a) for a in found), self.ttl))


def handed_out(resolver: GuardedResolver, host: str, port: int = 8080) -> list[Any]:
    receiver = Receiver()
    resolver.resolveHostName(receiver, host, port)
    assert receiver.complete
    return receiver.addresses


def test_literals_are_never_looked_up_and_private_ones_never_handed_out() -> None:
    lookup = Answers({})
    resolver = GuardedResolver(None, lookup)
    for host in ("2130706433", "0177.0.0.1", "127.1", "[::1]", "::ffff:127.0.0.2", "fe80::1%25eth0", "0.0.0.0",
                 "169.254.169.254"):
        assert handed_out(resolver, host) == [], host
    assert handed_out(resolver, "93.184.215.14") == [IPv4Address("TCP", "93.184.215.14", 8080)]
    assert handed_out(resolver, "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]", 443) == [
        IPv6Address("TCP", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", 443)]
    assert lookup.calls == []


def test_opted_in_hosts_and_their_subdomains_get_private_addresses() -> None:
    lookup = Answers({"intranet.test": [["10.0.0.5"]], "www.intranet.test": [["10.0.0.6"]],
                      "other.test": [["10.0.0.7"]]})
    resolver = GuardedResolver(None, lookup)
    resolver.allow_private_network(["intranet.test", "127.0.0.1"])
    assert handed_out(resolver, "intranet.test") == [IPv4Address("TCP", "10.0.0.5", 8080)]
    assert handed_out(resolver, "WWW.Intranet.test") == [IPv4Address("TCP", "10.0.0.6", 8080)]
    assert handed_out(resolver, "127.0.0.1") == [IPv4Address("TCP", "127.0.0.1", 8080)]
    assert handed_out(resolver, "other.test") == []
    assert handed_out(resolver, "2130706433") == [], "opt-in is by host name: another spelling is another host"


def test_metadata_link_local_and_unspecified_addresses_are_refused_even_to_opted_in_hosts() -> None:
    lookup = Answers({"metadata.intranet.test": [["169.254.169.254"]], "v6.intranet.test": [["fd00:ec2::254"]],
                      "mapped.intranet.test": [["::ffff:169.254.169.254"]], "zero.intranet.test": [["0.0.0.0"]],
                      "ali.intranet.test": [["100.100.100.200"]], "ok.intranet.test": [["10.0.0.5", "fe80::1"]]})
    resolver = GuardedResolver(None, lookup)
    resolver.allow_private_network(["intranet.test", "0.0.0.0", "169.254.169.254"])
    for host in ("metadata.intranet.test", "v6.intranet.test", "mapped.intranet.test", "zero.intranet.test",
                 "ali.intranet.test", "0.0.0.0", "169.254.169.254"):
        assert handed_out(resolver, host) == [], host
    assert handed_out(resolver, "ok.intranet.test") == [IPv4Address("TCP", "10.0.0.5", 8080)]


def test_a_name_with_public_and_private_addresses_gets_only_the_public_ones() -> None:
    resolver = GuardedResolver(None, Answers({"mixed.test": [["127.0.0.1", "93.184.215.14", "::1"]]}))
    assert handed_out(resolver, "mixed.test", 80) == [IPv4Address("TCP", "93.184.215.14", 80)]


def test_rebinding_gets_nothing_at_connect_time() -> None:
    """The classic attack on check-then-connect: public for the check, private for the connection."""
    lookup = Answers({"rebind.test": [["93.184.215.14"], ["127.0.0.2"]]}, ttl=0)
    resolver = GuardedResolver(None, lookup)
    verdict = resolver.check("rebind.test").result
    assert verdict.allowed == (ipaddress.ip_address("93.184.215.14"),)
    assert handed_out(resolver, "rebind.test") == []
    assert lookup.calls == ["rebind.test", "rebind.test"], "TTL 0: asked again, and the new answer is checked"


def test_answers_are_cached_for_their_ttl_and_concurrent_lookups_share_one() -> None:
    pending: defer.Deferred[Any] = defer.Deferred()
    calls: list[str] = []

    def lookup(host: str) -> defer.Deferred[Any]:
        calls.append(host)
        return pending

    resolver = GuardedResolver(None, lookup)
    first, second = Receiver(), Receiver()
    resolver.resolveHostName(first, "news.test", 80)
    resolver.resolveHostName(second, "NEWS.test", 80)
    pending.callback(((ipaddress.ip_address("93.184.215.14"),), 60.0))
    assert first.addresses == second.addresses == [IPv4Address("TCP", "93.184.215.14", 80)]
    assert handed_out(resolver, "news.test", 80) == first.addresses
    assert calls == ["news.test"]


def test_dns_servers_setting() -> None:
    assert dns_servers(["127.0.0.1", "127.0.0.1:5353", "[::1]:53"]) == [
        ("127.0.0.1", 53), ("127.0.0.1", 5353), ("::1", 53)]
    with pytest.raises(ValueError, match="DNS_SERVERS"):
        dns_servers(["resolver.example"])


def test_a_response_from_a_non_public_address_is_dropped() -> None:
    """The backstop for a download handler that would bypass the reactor's resolver: response.ip_address."""
    resolver = GuardedResolver(None, Answers({}))
    resolver.allow_private_network(["intranet.test"])
    crawler = Crawler(Spider, {})  # not get_crawler(): older Scrapy wants a reactor installed for it
    crawler.stats = MemoryStatsCollector(crawler)
    guard = PrivateNetworkGuardMiddleware(crawler, resolver)

    def response(url: str, ip: str, **meta: str) -> tuple[Request, HtmlResponse]:
        request = Request(url, meta=meta)
        return request, HtmlResponse(url, body=b"<p>x</p>", request=request, ip_address=ipaddress.ip_address(ip))

    request, answer = response("http://news.example/", "93.184.215.14")
    assert guard.process_response(request, answer) is answer
    request, answer = response("http://intranet.test/", "10.0.0.5")
    assert guard.process_response(request, answer) is answer
    request, answer = response("http://news.example/", "::ffff:127.0.0.2")
    with pytest.raises(IgnoreRequest):
        guard.process_response(request, answer)
    assert crawler.stats.get_value("newsarchive/refused/private_network") == 1
    request, answer = response("http://news.example/", "10.0.0.9", proxy="http://10.0.0.9:3128")
    assert guard.process_response(request, answer) is answer, "through a proxy the peer is the proxy"
