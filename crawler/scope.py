"""Is this URL in scope for this site? The one owner of that rule, whatever produced the URL.

Page links, feed entries, sitemap `<loc>`s, robots.txt `Sitemap:` lines, redirects and meta refreshes
all meet the same checks, in the spider's request factory (so a refused URL is never scheduled or
counted against the budget) and again in `crawler.middlewares.scope.ScopeMiddleware` for requests made
by Scrapy's own middlewares. Only http(s) is ever fetched: a `file:`, `ftp:`, `data:`, `s3:` or
`javascript:` URL is refused here (and Scrapy's handlers for those schemes are switched off in
settings/base.py, so nothing can fetch one even past this check). The network guard (which addresses
may be connected to) is `crawler.resolver`; robots.txt is Scrapy's RobotsTxtMiddleware.
"""

import logging
import re
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.sites import Site
from pipelines.extract.urls import host_in_domains, strip_session_ids

log = logging.getLogger(__name__)

SCHEMES = frozenset({"http", "https"})
# Scrapy's URLLENGTH_LIMIT default; sitemaps.org allows < 2048 characters in a <loc>.
DEFAULT_MAX_URL_LENGTH = 2083
REFUSED_STAT = "newsarchive/refused/{}"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# Links a crawl's pages repeat (navigation, footers, related stories) are checked once: at 100-odd links a page,
# 90 % of them seen before, the string work was a fifth of the reactor thread. Cleared when full (≈ 5 MB).
LINK_MEMO_SIZE = 20_000


class MalformedURL(ValueError):
    """A URL that cannot be requested: no host, bad port, broken IPv6 brackets, control characters, too long."""


def absolute_url(href: str, base: str | None = None, *, max_length: int = DEFAULT_MAX_URL_LENGTH) -> str:
    """`href` joined to `base` and checked well-formed; raises MalformedURL (never a bare ValueError)."""
    if not isinstance(href, str):
        raise MalformedURL(f"not a string: {type(href).__name__}")
    href = href.strip()
    if len(href) > max_length:
        raise MalformedURL(f"longer than {max_length} characters")
    if _CONTROL_CHARS.search(href):
        raise MalformedURL("control characters")
    if not href.isascii():
        try:
            href.encode()
        except UnicodeEncodeError:  # a lone surrogate (a JSON feed's "\\ud800"): no URL, no seen-store key
            raise MalformedURL("a lone surrogate") from None
    try:
        url = urljoin(base, href) if base else href
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
        host = parts.hostname
    except ValueError as error:  # "Invalid IPv6 URL", "Port out of range", ...
        raise MalformedURL(str(error)) from None
    if parts.scheme.lower() in SCHEMES and (not host or any(char.isspace() for char in host)):
        raise MalformedURL("no host")
    return url


def new_request(url: str, **kwargs: Any) -> Request:
    """`Request(url, **kwargs)`, raising MalformedURL for a URL Scrapy's own normalisation (w3lib) refuses although
    urllib took it (`http://[::1]@host/`): the link is skipped, not the rest of
    the page, feed, sitemap or robots.txt it came from."""
    try:
        return Request(url, **kwargs)
    except ValueError as error:
        raise MalformedURL(str(error)) from None


def refusal(url: str, site: Site | None) -> str | None:
    """Why `url` is out of scope for `site` (`scheme`, `offsite`, `denied`), or None when it may be requested.
    Without a site (a robots.txt request, or a redirect of one that no site's domains place) only the scheme is
    checked; crawler.middlewares.scope finds the site a robots.txt redirect is held to."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        return "scheme"
    if site is None:
        return None
    if not host_in_domains(parts.hostname, site_domains(site)):
        return "offsite"
    if any(pattern.search(url) for pattern in site.deny_patterns):
        return "denied"
    return None


class ScopedLink(NamedTuple):
    """A link as the spider may request it (absolute, session ids stripped), or why it may not."""

    url: str
    refused: str | None  # "malformed", or refusal()'s reason
    detail: str = ""  # what is malformed


class LinkScope:
    """`absolute_url`, `strip_session_ids` and `refusal` of the links of one crawl, remembered (pure string work on
    the link, its base and its site, so the answer for a repeated link is the one already found)."""

    def __init__(self, max_length: int = DEFAULT_MAX_URL_LENGTH) -> None:
        self.max_length = max_length
        self._memo: dict[tuple[str, str | None, str], ScopedLink] = {}

    def check(self, href: str, base: str | None, site: Site) -> ScopedLink:
        if not isinstance(href, str) or len(href) > self.max_length:  # refused anyway; a hostile page's huge
            return self._check(href, base, site)  # links must not be kept, LINK_MEMO_SIZE of them per crawl
        key = (href, base, site.name)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= LINK_MEMO_SIZE:
                self._memo.clear()
            found = self._memo[key] = self._check(href, base, site)
        return found

    def _check(self, href: str, base: str | None, site: Site) -> ScopedLink:
        try:
            url = strip_session_ids(absolute_url(href, base, max_length=self.max_length))
        except MalformedURL as error:
            return ScopedLink(str(href), "malformed", str(error))
        return ScopedLink(url, refusal(url, site))


def site_domains(site: Site) -> tuple[str, ...]:
    """The site's allowed domains, or its homepage host when none are given."""
    return site.allowed_domains or (urlsplit(site.homepage).hostname or "",)


# Worth one line at WARNING: a URL that could read local files or reach the private network. Off-site, denied
# and malformed URLs are everyday junk on news pages: counted and at DEBUG only.
WARN_REASONS = frozenset({"scheme", "private_network"})


class Refusals:
    """Counts refusals in the stats (`newsarchive/refused/<reason>`) and logs them at DEBUG; only the first
    refusal of a run that is in WARN_REASONS is a WARNING, so a hostile page full of `file:` links cannot flood
    the log."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.warned = False
        # The crawl's log handlers drop what is below LOG_LEVEL; above DEBUG a refusal's DEBUG line is not even made
        # (a news page's off-site links are refused by the dozen: the log records were 2 % of the reactor thread).
        level = crawler.settings.get("LOG_LEVEL") or "DEBUG"
        numeric = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        self.debug = not isinstance(numeric, int) or numeric <= logging.DEBUG  # a level we cannot read: keep logging

    def note(self, reason: str, url: str, detail: str = "") -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(REFUSED_STAT.format(reason))
        level = logging.DEBUG
        if reason in WARN_REASONS and not self.warned:
            level, self.warned = logging.WARNING, True
        elif not self.debug:
            return
        shown = ascii(url[:200])  # the URL only, escaped and cut: never what it points at
        log.log(level, "not requesting %s: %s%s (counted in %s; further refusals are logged at DEBUG)",
                shown, reason, f" ({detail})" if detail else "", REFUSED_STAT.format(reason))


def refusals_of(crawler: Crawler) -> Refusals:
    """The crawl's one Refusals (shared by the spider and the middlewares, so there is one warning per run)."""
    found = getattr(crawler, "_newsarchive_refusals", None)
    if found is None:
        found = Refusals(crawler)
        crawler._newsarchive_refusals = found  # type: ignore[attr-defined]
    return found
