"""Article or not? Decided for every crawled HTML page, so it must be cheap and explain itself.

Evidence is weighed, not chained: operator patterns (deny wins outright), what the page declares about
itself (og:type, JSON-LD @type), and its shape — long paragraphs of running text versus a page of
headline links. Each piece of evidence becomes a short signal so a wrong call can be traced.
"""

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from pipelines.extraction.document import Document
from pipelines.extraction.jsonld import ARTICLE_TYPES, JsonLd

LISTING_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "WebSite", "ProfilePage"})
MIN_PARAGRAPH_CHARS = 80
DENSE_TEXT_CHARS = 1200
LISTING_MIN_HEADLINE_LINKS = 12

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){3,}|\d{5,}|/(?:19|20)\d{2}/\d{1,2}/")


def _paragraph_text_chars(tree: HtmlElement) -> int:
    """Characters of running text: long <p> blocks that are not themselves link lists or page furniture."""
    total = 0
    for paragraph in tree.iter("p"):
        text = " ".join(paragraph.text_content().split())
        if len(text) < MIN_PARAGRAPH_CHARS:
            continue
        link_chars = sum(len(a.text_content()) for a in paragraph.iter("a"))
        if link_chars < len(text) / 2:
            total += len(text)
    return total


def _headline_links(tree: HtmlElement) -> int:
    """Links that are headlines of other stories: the fabric of homepages and section fronts."""
    return len(tree.xpath("//h2[.//a] | //h3[.//a] | //h4[.//a] | //article[.//a][not(.//p[string-length() > 400])]"))


def _declared_signals(document: Document) -> tuple[int, list[str]]:
    """(score, signals) from og:type and top-level JSON-LD @type."""
    score, signals = 0, []
    og_types = [t.strip().lower() for t in document.tree.xpath("//meta[@property='og:type']/@content")]
    if og_types:
        og_type = og_types[0]
        signals.append(f"og:type={og_type}")
        if og_type == "article" or og_type.startswith("article:") or og_type == "news":
            score += 1
        elif og_type in ("website", "section", "profile", "video.other", "product"):
            score -= 1
    jsonld_types = JsonLd.from_tree(document.tree).types()
    article_types = [t for t in jsonld_types if t in ARTICLE_TYPES]
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
        score += 2
        signals.append("url-pattern")
    path = urlsplit(url).path
    if path.strip("/") == "":
        score -= 2
        signals.append("homepage")
    elif _SLUG.search(path.lower()):
        score += 1
        signals.append("url-slug")
    text_chars = _paragraph_text_chars(document.tree)
    headline_links = _headline_links(document.tree)
    if text_chars >= DENSE_TEXT_CHARS:
        score += 2
        signals.append("text-density")
    elif text_chars < DENSE_TEXT_CHARS / 3:
        score -= 2
        signals.append("little-text")
    if headline_links >= LISTING_MIN_HEADLINE_LINKS and text_chars < headline_links * 150:
        score -= 3
        signals.append("listing-page")
    return score > 0, signals
