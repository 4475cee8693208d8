"""Read schema.org JSON-LD the way real pages write it: broken, nested, and referenced by @id.

Publishers ship trailing commas, HTML comments, several objects in one script, `@graph` containers and
authors given as `{"@id": ...}` references. Everything here is tolerant: a script that cannot be
repaired is skipped, never raised.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "AnalysisNewsArticle",
        "AskPublicNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReportageNews",
        "ReviewNewsArticle",
        "SatiricalArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
        "TechArticle",
        "ScholarlyArticle",
    }
)


def is_article_type(schema_type: str) -> bool:
    """schema.org article types, and the invented ones publishers use (`ReportageNewsArticle`)."""
    return schema_type in ARTICLE_TYPES or schema_type.endswith(("Article", "BlogPosting"))


_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_WRAPPER = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
_TYPE_PREFIX = re.compile(r"^(?:https?://schema\.org/|schema:)", re.IGNORECASE)
_MAX_DEPTH = 6


def _decode(raw: str) -> list[Any]:
    """All JSON values in one script body, repairing the usual publisher mistakes."""
    text = _WRAPPER.sub("", raw.strip()).strip()
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        values = _decode_concatenated(candidate)
        if values:
            return values
    return []


def _decode_concatenated(text: str) -> list[Any]:
    """Several JSON values back to back (`{...}{...}` or `{...};`) are common; decode them in turn."""
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    position = 0
    while position < len(text):
        while position < len(text) and text[position] in " \t\r\n;,":
            position += 1
        if position >= len(text):
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except ValueError:
            return values
        values.append(value)
    return values


def node_types(node: dict[str, Any]) -> list[str]:
    """The node's @type values without schema.org prefixes."""
    raw = node.get("@type")
    types = raw if isinstance(raw, list) else [raw]
    return [_TYPE_PREFIX.sub("", t).strip() for t in types if isinstance(t, str) and t.strip()]


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every typed object, descending into lists, @graph and nested objects (mainEntity, author...)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        if "@type" in value or "@id" in value:
            yield value
        for key, child in value.items():
            if isinstance(child, dict | list) and key != "@context":
                yield from _walk(child, depth + 1)


def _roots(value: Any) -> Iterator[dict[str, Any]]:
    """The page-level objects: the script's object(s) and the members of an @graph."""
    if isinstance(value, list):
        for item in value:
            yield from _roots(item)
    elif isinstance(value, dict):
        if "@graph" in value:
            yield from _roots(value["@graph"])
        if "@type" in value:
            yield value


class JsonLd:
    """The JSON-LD of one page: all nodes, an @id index, and the main article node if any."""

    def __init__(self, roots: list[dict[str, Any]], nodes: list[dict[str, Any]]) -> None:
        self.roots = roots
        self.nodes = nodes
        self._by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}
        self.article = self._main_article()

    @classmethod
    def from_tree(cls, tree: HtmlElement) -> "JsonLd":
        roots: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
            for value in _decode(script.text or ""):
                roots.extend(_roots(value))
                nodes.extend(_walk(value))
        return cls(roots, nodes)

    def resolve(self, value: Any) -> Any:
        """Follow an `{"@id": ...}` reference to the full node (authors and publishers often are one)."""
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in self._by_id:
            return self._by_id[value["@id"]]
        return value

    def types(self) -> list[str]:
        """Distinct @type values of the top-level nodes (what the page says it is), in page order."""
        return list(dict.fromkeys(t for node in self.roots for t in node_types(node)))

    def _main_article(self) -> dict[str, Any] | None:
        """The article node: the one with a headline wins over bare references and teasers."""
        articles = [n for n in self.nodes if any(is_article_type(t) for t in node_types(n))]
        if not articles:
            return None
        return max(articles, key=lambda n: ("headline" in n, "datePublished" in n, "articleBody" in n))


def text_values(value: Any) -> list[str]:
    """Strings from a JSON-LD value that may be a string, a list, or objects with `name`/`@value`/`url`."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [text for item in value for text in text_values(item)]
    if isinstance(value, dict):
        for key in ("name", "@value", "url", "contentUrl"):
            if key in value:
                return text_values(value[key])
    return []


def first_text(value: Any) -> str | None:
    """The first string in a JSON-LD value, or None."""
    values = text_values(value)
    return values[0] if values else None
