"""Host matching for site scopes: a host belongs to a domain if it is the domain or a subdomain of it."""

from collections.abc import Iterable


def host_in_domains(host: str | None, domains: Iterable[str]) -> bool:
    """True if the host is one of the domains or a subdomain of one (ports play no part)."""
    host = (host or "").lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)
