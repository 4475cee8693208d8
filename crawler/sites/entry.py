"""One entry of the sites file, validated key by key; the first problem raises, naming the site and the key."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.sites.model import (
    DOMAIN_RE,
    KNOWN_KEYS,
    LANGUAGE_RE,
    NAME_RE,
    PATTERN_KEYS,
    URL_LIST_KEYS,
    Site,
    SitesConfigError,
)
from pipelines.times import parse_schedule

if TYPE_CHECKING:
    from pipelines.extract.sites import SiteRules


class SiteEntryParser:
    """Validates one entry of the `sites` list; raises on the first problem, naming site and key."""

    def __init__(self, source: str, index: int, entry: object) -> None:
        self.source = source
        self.label = f"sites[{index}]"
        self.entry = entry

    def fail(self, key: str | None, message: str) -> SitesConfigError:
        return SitesConfigError(self.source, message, site=self.label, key=key)

    def parse(self) -> Site:
        entry = self.entry
        if not isinstance(entry, dict):
            raise self.fail(
                None, f"expected a mapping with at least 'name' and 'homepage', got {kind(entry)}"
            )
        if "name" in entry:
            self.label = self.name(entry["name"])
        for key in entry:
            if key not in KNOWN_KEYS:
                raise self.fail(str(key), unknown_key_message(key, KNOWN_KEYS))
        if "name" not in entry:
            raise self.fail("name", "missing required key — every site needs a unique name like 'herald'")
        if "homepage" not in entry:
            raise self.fail(
                "homepage", "missing required key — the site's start page, like 'https://herald.example/'"
            )
        # null means "not given", so a key whose list items are all commented out keeps its default.
        values = {key: value for key, value in entry.items() if value is not None}
        homepage = self.url("homepage", entry["homepage"])
        urls = {
            key: tuple(self.url(f"{key}[{i}]", u) for i, u in enumerate(self.list(key, values)))
            for key in URL_LIST_KEYS
        }
        domains = self.domains(values, homepage)
        self.check_on_allowed_domains(domains, "homepage", homepage)
        for key in URL_LIST_KEYS:
            for i, url in enumerate(urls[key]):
                self.check_on_allowed_domains(domains, f"{key}[{i}]", url)
        patterns = {
            key: tuple(self.pattern(f"{key}[{i}]", p) for i, p in enumerate(self.list(key, values)))
            for key in PATTERN_KEYS
        }
        return Site(
            name=self.label,  # the validated name, by now
            homepage=homepage,
            sections=urls["sections"],
            feeds=urls["feeds"],
            sitemaps=urls["sitemaps"],
            allowed_domains=domains,
            article_patterns=patterns["article_patterns"],
            deny_patterns=patterns["deny_patterns"],
            language=self.language(values.get("language")),
            delay=self.delay(values.get("delay")),
            allow_private_network=self.flag(
                "allow_private_network", values.get("allow_private_network", False)
            ),
            render=self.flag("render", values.get("render", False)),
            extract=self.extract(values.get("extract")),
            revisit=self.schedule(values.get("revisit")),
        )

    def name(self, value: object) -> str:
        if not isinstance(value, str):
            raise self.fail("name", f"expected a string, got {kind(value)} — quote it, like name: 'herald'")
        if not NAME_RE.fullmatch(value):
            raise self.fail(
                "name",
                f"bad name '{value}' — use only lower-case letters, digits and '-'",
            )
        return value

    def list(self, key: str, values: dict[Any, Any]) -> list[Any]:
        value = values.get(key, [])
        if not isinstance(value, list):
            hint = f" — write [{value!r}] for a single item" if isinstance(value, str) else ""
            raise self.fail(key, f"expected a list, got {kind(value)}{hint}")
        return value

    def string(self, key: str, value: object) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {kind(value)}")
        return value

    def url(self, key: str, value: object) -> str:
        url = self.string(key, value)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise self.fail(key, f"bad URL '{url}': {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
            raise self.fail(
                key, f"bad URL '{url}' — expected an absolute http(s) URL like 'https://herald.example/'"
            )
        return url

    def domains(self, values: dict[Any, Any], homepage: str) -> tuple[str, ...]:
        if "allowed_domains" not in values:
            return (_host(homepage),)
        items = self.list("allowed_domains", values)
        if not items:
            raise self.fail(
                "allowed_domains", "empty list — leave the key out to allow just the homepage's host"
            )
        domains = []
        for i, item in enumerate(items):
            key = f"allowed_domains[{i}]"
            domain = self.string(key, item).lower()
            if not DOMAIN_RE.fullmatch(domain):
                raise self.fail(
                    key, f"bad domain '{item}' — expected a bare host name like 'herald.example', not a URL"
                )
            domains.append(domain)
        return tuple(domains)

    def check_on_allowed_domains(self, domains: tuple[str, ...], key: str, url: str) -> None:
        host = _host(url)
        if not any(host == d or host.endswith("." + d) for d in domains):
            raise self.fail(
                key,
                f"'{url}' is on {host}, outside allowed_domains ({', '.join(domains)}) — "
                f"add '{host}' to allowed_domains or fix the URL",
            )

    def pattern(self, key: str, value: object) -> re.Pattern[str]:
        text = self.string(key, value)
        try:
            return re.compile(text)
        except re.error as exc:
            raise self.fail(key, f"bad regex '{text}': {exc} — fix the pattern (Python re syntax)") from None

    def language(self, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.fail(
                "language",
                "got a boolean — quote the code, like 'no', since YAML reads no/yes/on/off as booleans",
            )
        text = self.string("language", value)
        if not LANGUAGE_RE.fullmatch(text):
            raise self.fail("language", f"bad language code '{text}' — expected a code like 'en' or 'pt-BR'")
        return text

    def delay(self, value: object) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail("delay", f"expected a number of seconds, got {kind(value)}")
        if not math.isfinite(value) or value < 0:
            raise self.fail("delay", f"bad delay {value} — expected seconds >= 0, like 1.0")
        return float(value)

    def extract(self, value: object) -> SiteRules | None:
        if value is None:
            return None
        from pipelines.extract.sites import SiteRulesError, validate_rules  # lxml: only for sites that have rules

        try:
            return validate_rules(value)
        except SiteRulesError as error:
            raise self.fail(error.key, str(error)) from None

    def schedule(self, value: object) -> tuple[timedelta, ...] | None:
        """`revisit: [1h, 6h, 24h, 72h]` (docs/versions.md); `[]` turns a REVISIT default off for this site."""
        if value is None:
            return None
        try:
            return parse_schedule(value)
        except ValueError as error:
            raise self.fail("revisit", str(error)) from None

    def flag(self, key: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {kind(value)}")
        return value


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def kind(value: object) -> str:
    """A YAML-flavoured name for a value's type, for messages read by operators, not programmers."""
    kinds = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }
    if value is None:
        return "nothing (null)"
    described = kinds.get(type(value), type(value).__name__)
    return f"{described} ({value!r})" if isinstance(value, bool | int | float | str) else described


def unknown_key_message(key: object, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" — did you mean '{close[0]}'?" if close else f" — known keys: {', '.join(known)}"
    return f"unknown key{hint}"
