"""Reading a sites file: YAML (duplicate keys refused, errors with their line) into validated Site objects."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from crawler.sites.entry import SiteEntryParser, kind, unknown_key_message
from crawler.sites.model import Site, SitesConfigError


def load_sites(path: str | Path) -> list[Site]:
    """Read and validate a sites file; every failure is a SitesConfigError naming the file."""
    return parse_sites_text(read_text(path), source=str(path))


def read_text(path: str | Path) -> str:
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
            source, f"expected a mapping with a 'sites' list at the top, got {kind(data)}"
        )
    for key in data:
        if key != "sites":
            raise SitesConfigError(source, unknown_key_message(key, ("sites",)), key=str(key))
    if "sites" not in data:
        raise SitesConfigError(source, "missing the top-level 'sites' list")
    entries = data["sites"]
    if not isinstance(entries, list):
        raise SitesConfigError(source, f"expected a list of sites, got {kind(entries)}", key="sites")
    if not entries:
        raise SitesConfigError(source, "the list is empty — add at least one site", key="sites")
    sites: list[Site] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        site = SiteEntryParser(source, index, entry).parse()
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
