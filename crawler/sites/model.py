"""A site of the sites file, the file's error type, and the keys an entry may have."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.extract.sites import SiteRules

NAME_RE = re.compile(r"[a-z0-9-]+")
# A bare host name or IP address, no scheme, port or path (what Scrapy's allowed_domains expects).
DOMAIN_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")

REQUIRED_KEYS = ("name", "homepage")
URL_LIST_KEYS = ("sections", "feeds", "sitemaps")
PATTERN_KEYS = ("article_patterns", "deny_patterns")
KNOWN_KEYS = (
    *REQUIRED_KEYS,
    *URL_LIST_KEYS,
    "allowed_domains",
    *PATTERN_KEYS,
    "language",
    "delay",
    "allow_private_network",
    "render",
    "extract",
    "revisit",
)


@dataclass(frozen=True)
class Site:
    """One news site to crawl; only name and homepage are needed, discovery fills in the rest."""

    name: str
    homepage: str
    sections: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    article_patterns: tuple[re.Pattern[str], ...] = ()
    deny_patterns: tuple[re.Pattern[str], ...] = ()
    language: str | None = None
    delay: float | None = None
    allow_private_network: bool = False
    render: bool = False  # pages fetched through headless Chromium (crawler/render/, docs/rendering.md)
    extract: SiteRules | None = None  # per-site selectors / parser, carried to the extraction workers
    revisit: tuple[timedelta, ...] | None = None  # re-fetch schedule after first archiving; None: the REVISIT setting


class SitesConfigError(ValueError):
    """A sites file that cannot be used; the message names file, site and key so operators can fix it."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        site: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = path
        self.site = site
        self.key = key
        self.line = line
        self.message = message
        where = [f"{path}:{line}" if line else path]
        if site is not None:
            where.append(site if site.startswith("sites[") else f"site '{site}'")
        if key is not None:
            where.append(f"key '{key}'")
        super().__init__(": ".join([*where, message]))
