"""Where a page names its authors: JSON-LD, meta tags, byline markup and text, links to author pages.

The first source that yields a person wins; each byline found is read into names by `bylines.py`.
"""

from collections.abc import Iterable
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from pipelines.extract.metadata.bylines import BY_PREFIX, BYLINE_LABEL, dedupe, split_byline
from pipelines.extract.metadata.jsonld import JsonLd, node_types, text_values
from pipelines.extract.metadata.metatags import MetaTags

MAX_MARKUP_AUTHORS = 6
MAX_MARKUP_GROUPS = 3
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")


def _jsonld_authors(jsonld: JsonLd) -> tuple[list[str], list[str]]:
    """Authors of the article node: (typed Person, untyped). Organization authors are publishers, not
    people; a node typed Person is one even when a personal site bears the same name."""
    article = jsonld.article or {}
    raw = article.get("author") or article.get("creator")
    items: list[Any] = raw if isinstance(raw, list) else [raw]
    persons: list[str] = []
    untyped: list[str] = []
    for item in items:
        item = jsonld.resolve(item)
        types = " ".join(node_types(item)) if isinstance(item, dict) else ""
        if "Organization" in types:
            continue
        (persons if "Person" in types else untyped).extend(text_values(item))
    return persons, untyped


TEXT_BYLINE_MAX_CHARS = 80
# Short text blocks where a byline sits: not in navigation, footers, asides, lists of links or forms.
_SHORT_TEXT_BLOCKS = etree.XPath(
    "//body//*[self::p or self::div or self::span or self::address or self::strong or self::h5 or self::h6]"
    "[string-length(normalize-space()) > 1][string-length(normalize-space()) <= 80][not(*[self::p or self::div])]"
    "[not(ancestor::nav or ancestor::footer or ancestor::aside or ancestor::li or ancestor::form"
    " or ancestor::header[not(ancestor::article)])]"
)
_AUTHOR_LINKS = etree.XPath(
    "//body//a[re:test(@href, '/(?:author|authors|autor|autoren|auteur|auteurs|autore|autori|journalist|"
    "journalists|people|person|profile|profiles|team|staff|contributors?|writers?|redaktion|redacteur|"
    "byline|producers?|experts?)/[^/?#]+/?$', 'i')]"
    "[not(ancestor::nav or ancestor::footer or ancestor::aside or ancestor::form)]"
    "[string-length(normalize-space()) > 3]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)

_BYLINE_XPATHS = (
    "//*[@itemprop='author']//*[@itemprop='name']",
    "//*[@itemprop='author'][not(.//*[@itemprop='name'])]",
    "//*[contains(@class, 'byline') or contains(@class, 'Byline') or contains(@class, 'authorname')"
    " or contains(@class, 'author-name') or contains(@class, 'author__name')]",
    "//a[@rel='author']",
    "//*[contains(@class, 'author')][not(self::body or self::article)][string-length(normalize-space()) < 100]",
)


_TEASER_PLACES = etree.XPath("boolean(ancestor::li or ancestor::aside or ancestor::nav or ancestor::footer)")


def _markup_bylines(tree: HtmlElement, xpath: str | etree.XPath) -> list[list[str]]:
    """Byline groups in page order: each matching element with its siblings that match too (one byline,
    several authors).

    The first group that names a person wins (`find_authors`): an empty author box or one holding only
    the publisher's name does not hide the real byline further down. Later groups are often teasers for
    other stories, so only the first few are read, and none from a list item, aside, nav or footer.
    """
    matches = xpath(tree) if isinstance(xpath, etree.XPath) else tree.xpath(xpath)
    wrappers = {ancestor for match in matches for ancestor in match.iterancestors()}
    matches = [m for m in matches if m not in wrappers]  # the innermost elements name one author each
    groups: list[list[str]] = []
    seen: set[Any] = set()
    for first in matches:
        if first in seen or len(groups) >= MAX_MARKUP_GROUPS:
            continue
        if groups and _TEASER_PLACES(first):
            continue  # "more from this author" lists and related-story boxes
        parent = first.getparent()
        same_byline = [m for m in matches if m is first or (m.getparent() is parent and m not in seen)]
        seen.update(same_byline)
        groups.append([" ".join(" ".join(m.itertext()).split()) for m in same_byline[:MAX_MARKUP_AUTHORS]])
    return groups


def _labelled_meta(meta: MetaTags) -> list[str]:
    """`twitter:label1` "Written by" with its `twitter:data1` (the pair link unfurlers show)."""
    return [
        data
        for index in ("1", "2", "3")
        if (label := meta.get(f"twitter:label{index}")) and BYLINE_LABEL.match(label)
        if (data := meta.get(f"twitter:data{index}"))
    ]


def _text_bylines(tree: HtmlElement) -> list[str]:
    """Bylines no class name gives away: the first short element whose text starts with a byline word
    ("By …", "Written by …", "Von …", "Par …"), or that word alone followed by the name."""
    for element in _SHORT_TEXT_BLOCKS(tree):
        text = " ".join(element.text_content().split())
        if BYLINE_LABEL.match(text):
            following = element.getnext()
            if following is not None:
                return [" ".join(following.text_content().split())]
        elif BY_PREFIX.match(text) and len(text) <= TEXT_BYLINE_MAX_CHARS:
            return [text]
    return []


def find_authors(tree: HtmlElement, jsonld: JsonLd, meta: MetaTags, *, organisations: Iterable[str]) -> list[str]:
    """Person names from the first source that yields any: JSON-LD (a node typed Person is taken even
    when the site bears its name), meta tags, byline markup (its first few bylines in page order), byline
    text, links to author pages."""
    organisations = [o for o in organisations if o]
    persons, untyped = _jsonld_authors(jsonld)
    sources: list[tuple[Any, list[str]]] = [(lambda: [persons], []), (lambda: [untyped], organisations)]
    sources += [(lambda: [meta.all(*AUTHOR_META)], organisations), (lambda: [_labelled_meta(meta)], organisations)]
    sources += [(lambda xpath=xpath: _markup_bylines(tree, xpath), organisations) for xpath in _BYLINE_XPATHS]
    sources += [(lambda: [_text_bylines(tree)], organisations)]
    sources += [(lambda: _markup_bylines(tree, _AUTHOR_LINKS), organisations)]
    for source, known in sources:
        for group in source():
            names = dedupe(n for byline in group for n in split_byline(byline, organisations=known))
            if names:
                return names
    return []
