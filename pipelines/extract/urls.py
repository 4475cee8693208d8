"""URL identity: registered domains, tracking-free normal forms, and which canonical URL to trust.

A record's `id` is the SHA-1 of its canonical URL, so the same article reached through a newsletter
link, a feed and the homepage must normalise to one string, and a publisher's broken canonical tag
(pointing to the homepage or another site) must not merge unrelated articles.
"""

import ipaddress
import re
from collections.abc import Iterable
from functools import cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import tldextract

_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
        "cmpid",
        "ocid",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "sr_share",
        "smid",
        "xtor",
    }
)
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@cache
def _extractor() -> tldextract.TLDExtract:
    """The public-suffix extractor on its bundled snapshot: crawlers must not fetch lists at run time.

    Private suffixes count (`user.github.io`, `x.blogspot.com` are sites of their own).
    """
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def registered_domain(url: str) -> str:
    """`https://www.bbc.co.uk/news` -> `bbc.co.uk`; IPs and single-label hosts are returned as is."""
    host = _host(url)
    if not host:
        return ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    return _extractor()(host).top_domain_under_public_suffix or host


def is_tracking_param(name: str) -> bool:
    """Campaign and click identifiers that never change what page is served."""
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters, path `/` at least.

    Parameter order is kept: some sites route on it, and reordering buys nothing for deduplication
    that removing tracking parameters does not.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not scheme or not host:
        return url
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)],
        doseq=True,
    )
    path = re.sub(r"\s", "%20", parts.path) or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_sane_canonical(candidate: str, url: str) -> bool:
    """Same registered domain, http(s), and not the site root standing in for a deeper page."""
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if registered_domain(candidate) != registered_domain(url):
        return False
    page_path = urlsplit(url).path.strip("/")
    return bool(parts.path.strip("/")) or not page_path


def choose_canonical(url: str, candidates: list[str]) -> str:
    """The first sane candidate (rel=canonical, then og:url), resolved and normalised; else `url` normalised."""
    for candidate in candidates:
        try:
            absolute = urljoin(url, candidate.strip())
            if candidate.strip() and _is_sane_canonical(absolute, url):
                return normalize_url(absolute)
        except ValueError:
            continue
    return normalize_url(url)


SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "sid", "sessionid", "session_id", "sessid", "aspsessionid",
                            "cfid", "cftoken", "zenid", "oscsid"})
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#;]*", re.IGNORECASE)

def strip_session_ids(url: str) -> str:
    """The URL without `;jsessionid=…` path parameters and session-id query parameters."""
    parts = urlsplit(url)
    path = _PATH_SESSION.sub("", parts.path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if key.lower() not in SESSION_PARAMS]
    if path == parts.path and len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(kept, doseq=True), parts.fragment))


def host_in_domains(host: str | None, domains: Iterable[str]) -> bool:
    """True if the host is one of the domains or a subdomain of one (ports play no part)."""
    host = (host or "").lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)
