"""Writing sites files: an entry as YAML, appended to a file without touching what is already there."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from crawler.sites.load import parse_sites_text, read_text
from crawler.sites.model import Site, SitesConfigError
from pipelines.store.atomic import write_atomic


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
        text = read_text(path)
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


