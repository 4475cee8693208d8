"""Which addresses a crawler may connect to, in every spelling a connect accepts: the network guard's policy.

Pure (no Twisted, no lookups), so the resolver (crawler.resolver), the guard middleware and `discover` share
one rule and `--help` stays fast.
"""

import ipaddress
import re
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# What inet_aton(3) takes for an IPv4 address: 1 to 4 parts, each decimal, 0-octal or 0x-hex.
_IPV4_SPELLING = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def ip_literal(host: str) -> Address | None:
    """The address `host` spells, in any form a connect would accept, or None when it is a name."""
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.replace("%25", "%", 1))
        except ValueError:
            return None
    if not _IPV4_SPELLING.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:  # e.g. 08.1.1.1 or 256.256.256.256.256: a name to the C library too
        return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and may be routed to (mapped, 6to4, NAT64, compatible)."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if any(ip in network for network in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: Address | str) -> bool:
    """True for globally routable unicast addresses only (an embedded IPv4 address must be one too)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0]) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_public_address(inner)
    return ip.is_global and not ip.is_multicast


# Cloud metadata services outside link-local space (AWS over IPv6, Alibaba Cloud); the others sit at 169.254.169.254.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")})


def is_never_allowed(address: Address) -> bool:
    """Refused even for a site that opted in to private networks: link-local (cloud metadata at 169.254.169.254),
    unspecified (0.0.0.0 connects to this machine), multicast, broadcast and known metadata addresses."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_never_allowed(inner)
    return (address.is_link_local or address.is_unspecified or address.is_multicast or address in METADATA_ADDRESSES
            or address == ipaddress.IPv4Address("255.255.255.255"))


def may_connect(address: Address, *, opted_in: bool) -> bool:
    """The guard's rule: public addresses always; private and loopback ones only for an opted-in site's hosts."""
    return is_public_address(address) or (opted_in and not is_never_allowed(address))
