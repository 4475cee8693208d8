"""Article or not? Decided for every crawled HTML page, so it must be cheap and explain itself.

Evidence is weighed, not chained: operator patterns (deny wins outright), what the page declares about
itself (og:type, JSON-LD @type), and its shape — long paragraphs of running text versus a page of
headline links. Each piece of evidence becomes a short signal so a wrong call can be traced.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from pipelines.extract.document import Document
from pipelines.extract.metadata.jsonld import JsonLd, is_article_type

LISTING_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "WebSite", "ProfilePage"})
MIN_PARAGRAPH_CHARS = 40
MAIN_BLOCK_CHARS = 500
LITTLE_TEXT_CHARS = 300
LISTING_MIN_HEADLINE_LINKS = 15
LISTING_CHARS_PER_LINK = 60
HEADLINE_MIN_CHARS = 15

_INLINE = frozenset({"a", "b", "i", "em", "strong", "span", "br", "font", "u", "small", "sup", "sub", "mark", "q"})
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){3,}|\d{5,}|/(?:19|20)\d{2}/\d{1,2}/")


def _block_text(element: HtmlElement) -> tuple[int, int]:
    """(characters, characters inside links) of the running text an element holds itself.

    A <p> owns everything inside it; a <div> or <td> owns its bare text and inline children, which is
    how CMSs that write `<div>text<br>text</div>` or `<div class="paragraph">` lay out articles.
    """
    if element.tag == "p":
        text, links = element.text_content(), "".join(a.text_content() for a in element.iter("a"))
    else:
        parts, link_parts = [element.text or ""], []
        for child in element:
            if child.tag in _INLINE:
                parts.append(child.text_content())
                if child.tag == "a":
                    link_parts.append(child.text_content())
            parts.append(child.tail or "")
        text, links = " ".join(parts), " ".join(link_parts)
    return len(" ".join(text.split())), len(" ".join(links.split()))


def _main_block_chars(tree: HtmlElement) -> int:
    """Characters of running text in the richest single container.

    An article keeps its paragraphs together under one parent; a front page scatters short teasers
    over many, so the total would mislead where the best container does not.
    """
    per_parent: dict[HtmlElement, int] = defaultdict(int)
    for element in tree.iter("p", "div", "td", "section"):
        chars, link_chars = _block_text(element)
        if chars >= MIN_PARAGRAPH_CHARS and link_chars < chars / 2:
            per_parent[element.getparent()] += chars
    return max(per_parent.values(), default=0)


def _headline_links(tree: HtmlElement) -> int:
    """Headings that link elsewhere: the teasers that homepages and section fronts are made of."""
    return len(tree.xpath("//h2[.//a] | //h3[.//a] | //h4[.//a]"))


def _key(text: str) -> str:
    return re.sub(r"\W", "", text).casefold()


def _has_headline_h1(tree: HtmlElement) -> bool:
    """The first h1 reads like a headline and is what the <title> announces (not a logo or section name)."""
    h1 = tree.find(".//h1")
    title = tree.findtext(".//title") or ""
    if h1 is None or not title:
        return False
    heading = _key(h1.text_content())[:40]
    return len(heading) >= HEADLINE_MIN_CHARS and _key(title).startswith(heading)


def _declared_signals(document: Document) -> tuple[int, list[str]]:
    """(score, signals) from og:type and top-level JSON-LD @type."""
    score, signals = 0, []
    og_types = [t.strip().lower() for t in document.tree.xpath("//meta[@property='og:type']/@content")]
    if og_types:
        og_type = og_types[0]
        signals.append(f"og:type={og_type}")
        if og_type == "article" or og_type.startswith("article:") or og_type == "news":
            score += 2
        elif og_type in ("website", "section", "profile", "product"):
            score -= 2
    jsonld_types = JsonLd.from_tree(document.tree).types()
    article_types = [t for t in jsonld_types if is_article_type(t)]
    listing_types = [t for t in jsonld_types if t in LISTING_TYPES - {"WebSite"}]
    if article_types:
        signals.append(f"jsonld:{article_types[0]}")
        score += 2
    if listing_types:
        signals.append(f"jsonld:{listing_types[0]}")
        score -= 3
    return score, signals


def classify_page(
    document: Document,
    url: str,
    *,
    article_patterns: Sequence[re.Pattern[str]] = (),
    deny_patterns: Sequence[re.Pattern[str]] = (),
) -> tuple[bool, list[str]]:
    """(is_article, signals). Deny patterns win; otherwise declared type and page shape are weighed."""
    if any(pattern.search(url) for pattern in deny_patterns):
        return False, ["deny-pattern"]
    score, signals = _declared_signals(document)
    if any(pattern.search(url) for pattern in article_patterns):
        score += 3
        signals.append("url-pattern")
    path = urlsplit(url).path
    if path.strip("/") == "":
        score -= 3
        signals.append("homepage")
    elif _SLUG.search(path.lower()):
        score += 1
        signals.append("url-slug")
    main_block = _main_block_chars(document.tree)
    headline_links = _headline_links(document.tree)
    if main_block >= MAIN_BLOCK_CHARS:
        score += 2
        signals.append("text-density")
    elif main_block < LITTLE_TEXT_CHARS:
        score -= 2
        signals.append("little-text")
    if _has_headline_h1(document.tree):
        score += 1
        signals.append("headline-h1")
    if headline_links >= LISTING_MIN_HEADLINE_LINKS and headline_links * LISTING_CHARS_PER_LINK > main_block:
        score -= 3
        signals.append("listing-page")
    return score > 0, signals
