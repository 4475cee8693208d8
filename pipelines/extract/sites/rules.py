"""Site rules and site parsers: where one site keeps its body, title, authors and date.

`SiteRules` is what a sites-file entry says (plain strings, so it pickles to extraction workers);
`SiteParser` is the code form, one subclass per site, registered by domain. Both produce `SiteFields`,
and every field a site leaves out (or that its selector does not find on a page) is the generic
extractor's.
"""

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from pipelines.extract.body.paragraphs import Paragraph, html_paragraphs
from pipelines.extract.document import Document
from pipelines.extract.metadata.bylines import dedupe, split_byline
from pipelines.extract.metadata.dates import plausible_date
from pipelines.extract.metadata.titles import clean

SELECTOR_FIELDS = ("body", "title", "authors", "date")
# XPath starts like this; anything else is a CSS selector.
_XPATH_STARTS = ("/", "./", "(")


@dataclass(frozen=True)
class SiteRules:
    """A sites-file `extract:` entry: selectors per field, and/or the name of a registered parser."""

    body: str | None = None
    title: str | None = None
    authors: str | None = None
    date: str | None = None
    parser: str | None = None


@dataclass(frozen=True)
class SiteFields:
    """What a site's rules found on one page; None means "not given, use the generic extractor"."""

    paragraphs: list[Paragraph] | None = None  # cleaned line by line like any body afterwards
    title: str | None = None
    authors: list[str] | None = None
    published: str | None = None  # as written on the page; parsed and checked like any date
    date_source: str | None = None


class SiteRulesError(ValueError):
    """A sites-file `extract:` entry that cannot be used: `key` names the field, the message the fix."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


class SiteParser:
    """One site's extraction, written as code: override the fields the site needs (return None to leave a
    field to the generic extractor) and register the class with `@register_parser`."""

    name: ClassVar[str] = ""
    domains: ClassVar[tuple[str, ...]] = ()

    def paragraphs(self, document: Document) -> list[Paragraph] | None:
        return None

    def title(self, document: Document) -> str | None:
        return None

    def authors(self, document: Document) -> list[str] | None:
        return None

    def published(self, document: Document) -> tuple[str, str] | None:
        """(date as written, where from: `jsonld`, `meta`, `time` or `text`)."""
        return None

    def read(self, document: Document) -> SiteFields:
        published = self.published(document)
        return SiteFields(
            paragraphs=self.paragraphs(document),
            title=self.title(document),
            authors=self.authors(document),
            published=published[0] if published else None,
            date_source=published[1] if published else None,
        )


class SelectorParser(SiteParser):
    """A sites file's selectors, with a registered parser (if the entry names one) for what they leave out."""

    def __init__(self, rules: SiteRules, fallback: SiteParser | None = None) -> None:
        self.rules = rules
        self.fallback = fallback or SiteParser()

    def paragraphs(self, document: Document) -> list[Paragraph] | None:
        if not self.rules.body:
            return self.fallback.paragraphs(document)
        found = [element for element in _select(self.rules.body, document.tree) if isinstance(element, HtmlElement)]
        return [paragraph for element in found for paragraph in html_paragraphs(element)] or None

    def title(self, document: Document) -> str | None:
        if not self.rules.title:
            return self.fallback.title(document)
        found = _select(self.rules.title, document.tree)
        return _text(found[0]) if found else None

    def authors(self, document: Document) -> list[str] | None:
        if not self.rules.authors:
            return self.fallback.authors(document)
        return [text for element in _select(self.rules.authors, document.tree) if (text := _text(element))] or None

    def published(self, document: Document) -> tuple[str, str] | None:
        if not self.rules.date:
            return self.fallback.published(document)
        found = _select(self.rules.date, document.tree)
        if not found:
            return None
        element = found[0]
        if isinstance(element, HtmlElement):
            value = element.get("datetime") or element.get("content") or _text(element)
            source = {"time": "time", "meta": "meta"}.get(element.tag, "text")
        else:  # an XPath giving an attribute or a text node
            value, source = str(element).strip(), "text"
        return (value, source) if value else None


def site_metadata(found: SiteFields, fetched_at: datetime | None) -> dict[str, Any]:
    """The metadata fields a site's rules found, held to the generic rules: names that are people, a
    plausible date, a clean title. Fields not found are absent (the generic ones stand)."""
    fields: dict[str, Any] = {}
    if found.title and (title := clean(found.title)):
        fields["title"] = title
    if found.authors:
        names = dedupe(name for byline in found.authors for name in split_byline(byline))
        if names:
            fields["authors"] = names
    if found.published:
        published = plausible_date(found.published, found.date_source or "text", fetched_at)
        if published:
            fields.update(published_at=published.rfc3339(), date_source=published.source)
    return fields


_PARSERS: dict[str, type[SiteParser]] = {}
_BY_DOMAIN: dict[str, str] = {}
P = TypeVar("P", bound=type[SiteParser])


def register_parser(parser: P) -> P:
    """Class decorator: make a SiteParser known by its `name` and used for its `domains`."""
    if not parser.name or not parser.domains:
        raise ValueError(f"{parser.__name__} needs a name and at least one domain")
    _PARSERS[parser.name] = parser
    for domain in parser.domains:
        _BY_DOMAIN[domain.lower()] = parser.name
    return parser


def registered_parsers() -> dict[str, type[SiteParser]]:
    return dict(_PARSERS)


def parser_for(url: str, rules: SiteRules | None = None) -> SiteParser | None:
    """The site's parser for a page: the sites file's rules (over the parser they name), else the parser
    registered for the page's domain or a parent domain, else None (generic extraction only)."""
    if rules is not None and any(getattr(rules, name) for name in (*SELECTOR_FIELDS, "parser")):
        named = _PARSERS.get(rules.parser or "")
        return SelectorParser(rules, named() if named else None)
    host = (urlsplit(url).hostname or "").lower()
    while host:
        if host in _BY_DOMAIN:
            return _PARSERS[_BY_DOMAIN[host]]()
        host = host.partition(".")[2]
    return None


def validate_rules(value: object) -> SiteRules:
    """A sites-file `extract:` mapping as SiteRules; SiteRulesError names the bad key and the fix."""
    if not isinstance(value, dict):
        raise SiteRulesError("extract", "expected a mapping of body/title/authors/date selectors and/or parser")
    known = [field.name for field in dataclass_fields(SiteRules)]
    for key in value:
        if key not in known:
            raise SiteRulesError(f"extract.{key}", f"unknown key — known keys: {', '.join(known)}")
    checked: dict[str, str] = {}
    for key, item in value.items():
        if item is None:
            continue
        if not isinstance(item, str) or not item.strip():
            raise SiteRulesError(f"extract.{key}", "expected a non-empty string (quote selectors in YAML)")
        if key == "parser":
            if item not in _PARSERS:
                names = ", ".join(sorted(_PARSERS)) or "none"
                raise SiteRulesError("extract.parser", f"no parser named '{item}' — registered parsers: {names}")
        else:
            try:
                _compile(item)
            except (etree.XPathError, ValueError, SyntaxError) as error:
                kind = "XPath" if item.startswith(_XPATH_STARTS) else "CSS selector"
                raise SiteRulesError(f"extract.{key}", f"bad {kind} '{item}': {error}") from None
        checked[key] = item
    if not checked:
        raise SiteRulesError("extract", "empty — give at least one of body, title, authors, date or parser")
    return SiteRules(**checked)


@lru_cache(maxsize=256)
def _compile(expression: str) -> Callable[[Any], list[Any]]:
    """A CSS selector or an XPath, compiled once per worker process."""
    if expression.startswith(_XPATH_STARTS):
        return etree.XPath(expression)
    return CSSSelector(expression)


def _select(expression: str, tree: HtmlElement) -> list[Any]:
    try:
        result = _compile(expression)(tree)
    except (etree.XPathError, ValueError):
        return []
    return result if isinstance(result, list) else [result]


def _text(element: Any) -> str:
    text = element.text_content() if isinstance(element, HtmlElement) else str(element)
    return " ".join(text.split())
