"""The sites file: which news sites to crawl and how.

Everything is validated up front, so a typo fails the run before any request is sent, with a message
naming the file, the site and the key, and saying how to fix it.
"""

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from pipelines.store.atomic import write_atomic

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


def load_sites(path: str | Path) -> list[Site]:
    """Read and validate a sites file; every failure is a SitesConfigError naming the file."""
    return parse_sites_text(_read(path), source=str(path))


def _read(path: str | Path) -> str:
    source = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        where = "" if Path(path).is_absolute() else f" ({Path(path).absolute()})"
        raise SitesConfigError(
            source, f"no such file{where} — pass --sites PATH or set NEWSARCHIVE_SITES; "
            "sites.example.yaml shows the format"
        ) from None
    except UnicodeDecodeError as exc:
        raise SitesConfigError(source, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SitesConfigError(source, f"cannot read the file: {exc.strerror or exc}") from None


def parse_sites_text(text: str, *, source: str = "<sites>") -> list[Site]:
    """Validate the YAML text of a sites file (duplicate keys refused, errors with their line)."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # safe: _StrictLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise SitesConfigError(source, f"bad YAML: {problem}", line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise SitesConfigError(source, f"bad YAML: {exc}") from None
    return parse_sites(data, source=source)


def parse_sites(data: object, *, source: str = "<sites>") -> list[Site]:
    """Validate already-parsed YAML (a mapping with a `sites` list) into Site objects, in file order."""
    if data is None:
        raise SitesConfigError(source, "the file is empty — expected a mapping with a 'sites' list")
    if not isinstance(data, dict):
        raise SitesConfigError(
            source, f"expected a mapping with a 'sites' list at the top, got {_kind(data)}"
        )
    for key in data:
        if key != "sites":
            raise SitesConfigError(source, _unknown_key_message(key, ("sites",)), key=str(key))
    if "sites" not in data:
        raise SitesConfigError(source, "missing the top-level 'sites' list")
    entries = data["sites"]
    if not isinstance(entries, list):
        raise SitesConfigError(source, f"expected a list of sites, got {_kind(entries)}", key="sites")
    if not entries:
        raise SitesConfigError(source, "the list is empty — add at least one site", key="sites")
    sites: list[Site] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        site = _SiteParser(source, index, entry).parse()
        if site.name in first_index:
            raise SitesConfigError(
                source,
                f"duplicate name at sites[{index}], already used by sites[{first_index[site.name]}]"
                " — names must be unique",
                site=site.name,
                key="name",
            )
        first_index[site.name] = index
        sites.append(site)
    return sites


def select_sites(sites: list[Site], names: Sequence[str], *, source: str) -> list[Site]:
    """The sites named by --site, in file order; no names means all sites. `source` (the file) goes into
    the error, like every other sites-file error."""
    if not names:
        return list(sites)
    known = [site.name for site in sites]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SitesConfigError(
                source,
                f"no such site{hint}; known sites: {', '.join(sorted(known))}",
                site=name,
                key="--site",
            )
    wanted = set(names)
    return [site for site in sites if site.name in wanted]


class _EntryDumper(yaml.SafeDumper):
    """Lists indented under their key (`feeds:` then `  - url`), as people write sites files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def sites_yaml(entries: Sequence[dict[str, Any]]) -> str:
    """A sites file holding `entries` (plain mappings, keys in the order given)."""
    return yaml.dump({"sites": list(entries)}, Dumper=_EntryDumper, sort_keys=False, allow_unicode=True, width=1000)


def append_site(path: str | Path, entry: dict[str, Any], *, comment: str = "", write: bool = True) -> Site:
    """Add `entry` at the end of the sites file's list (a new file if there is none), leaving every byte already
    there as it was, comments included. The existing file and the result are validated first, and the file is
    replaced atomically: a bad file, a clash (a name already used) or a crash leaves it unchanged. `write=False`
    only checks that the entry could be added."""
    source = str(path)
    try:
        text = _read(path)
    except SitesConfigError:
        if Path(path).exists():
            raise
        text = ""
    document = _document_node(text, source)
    if document is not None:
        parse_sites_text(text, source=source)  # refuse to add to a file that is already broken
    item = yaml.dump([entry], Dumper=_EntryDumper, sort_keys=False, allow_unicode=True, width=1000)
    lines = [f"# {line}".rstrip() for line in comment.splitlines()] + item.splitlines()
    if document is None:
        indent, head = "  ", "sites:\n"
    else:
        indent, head = " " * _sites_list(document, source).start_mark.column, ""
    separator = "" if not text or text.endswith("\n") else "\n"
    updated = text + separator + head + "".join(f"{indent}{line}\n" for line in lines)
    sites = parse_sites_text(updated, source=source)
    if write:
        write_atomic(Path(path), updated.encode("utf-8"))
    return sites[-1]


def _document_node(text: str, source: str) -> yaml.Node | None:
    """The file's YAML node tree; None for a file with nothing in it but comments."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        parse_sites_text(text, source=source)  # raises the loader's one-line message
        raise


def _sites_list(document: yaml.Node, source: str) -> yaml.SequenceNode:
    """The `sites` block list, which new entries join at the column of its `-`."""
    node = next(value for key, value in document.value if key.value == "sites")
    if node.flow_style:
        raise SitesConfigError(source, "the list is written in flow style ([...]); write it as a block list "
                               "(one '- name: ...' per site) to add entries to it", key="sites")
    return node


class _SiteParser:
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
                None, f"expected a mapping with at least 'name' and 'homepage', got {_kind(entry)}"
            )
        if "name" in entry:
            self.label = self.name(entry["name"])
        for key in entry:
            if key not in KNOWN_KEYS:
                raise self.fail(str(key), _unknown_key_message(key, KNOWN_KEYS))
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
        )

    def name(self, value: object) -> str:
        if not isinstance(value, str):
            raise self.fail("name", f"expected a string, got {_kind(value)} — quote it, like name: 'herald'")
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
            raise self.fail(key, f"expected a list, got {_kind(value)}{hint}")
        return value

    def string(self, key: str, value: object) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {_kind(value)}")
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
            raise self.fail("delay", f"expected a number of seconds, got {_kind(value)}")
        if not math.isfinite(value) or value < 0:
            raise self.fail("delay", f"bad delay {value} — expected seconds >= 0, like 1.0")
        return float(value)

    def flag(self, key: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_kind(value)}")
        return value


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys, which PyYAML would otherwise silently overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue  # merged (<<: *base) keys may be overridden; that is what merging is for
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key '{key}'",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _kind(value: object) -> str:
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


def _unknown_key_message(key: object, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" — did you mean '{close[0]}'?" if close else f" — known keys: {', '.join(known)}"
    return f"unknown key{hint}"
