"""readability-lxml as the article-node finder: it picks the container with the densest prose."""

import copy
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import fragment_fromstring
from readability import Document as ReadabilityDocument
from readability.readability import Unparseable

from pipelines.extract.body.nodes import prose_chars, prune_boilerplate
from pipelines.extract.body.readability_measures import (
    INLINE_TAGS,
    BlockMarkup,
    clean_length,
    text_length,
    unlikely_name,
)
from pipelines.extract.document import Document

# readability logs every page it finds hard at INFO/exception level; that is noise for a crawl log.
logging.getLogger("readability.readability").setLevel(logging.CRITICAL)


_QUOTES_AND_EMBEDS = etree.XPath("//blockquote | //*[contains(@class, 'embed')]")
_QUOTE_WRAPPERS = etree.XPath(".//*[self::div or self::section or self::figure][.//blockquote]")
_DATA_TABLES = etree.XPath(".//table[.//th or .//thead]")
DATA_TABLE_MAX_LINK_DENSITY = 0.5
# A subheading linked off-site and followed by a paragraph of prose heads a section of the story (a gift
# guide's product, a source); readability drops linked headings. One linked to the site's own pages is a
# teaser for another story, even with prose after it.
_LINKED_HEADINGS_BEFORE_PROSE = etree.XPath(
    "//*[self::h2 or self::h3 or self::h4][a][following-sibling::*[1][self::p]"
    "[string-length(normalize-space(text())) > 80]]"
)
# Siblings repeating the pick's tag and class are more of the same text (live-blog updates, a story
# split into chunks around adverts) unless they are mostly links (teaser cards).
REPEATED_ITEM_MAX_LINK_DENSITY = 0.25
# Readability.js's ancestor promotion (its own constants): among the top candidates, rivals scoring this
# close to the best ...
TOP_CANDIDATES = 5
RIVAL_SCORE_SHARE = 0.75
# ... this many of them under one ancestor of the best make that ancestor the article.
MIN_RIVALS = 3
# readability's own threshold for appending a sibling to its pick.
SIBLING_MIN_SCORE = 10
SIBLING_SCORE_SHARE = 0.2


class _PrunedReadability(ReadabilityDocument):
    """readability fed a pruned copy of our parsed tree instead of re-parsing and re-cleaning the HTML.

    readability's own `_parse` re-parses, runs lxml's Cleaner and absolutizes every link: two thirds of
    its run time, none of which the body text needs. It calls `_parse` again on each retry, and the copy
    keeps every attempt independent of the shared tree.
    """

    page_prose = 0

    def _parse(self, input: etree._Element) -> etree._Element:
        tree = prune_boilerplate(copy.deepcopy(input))
        self.page_prose = prose_chars(tree)
        # Quotes and embedded posts are article content, but their names ("twitter-tweet",
        # "social-media-embed") hit readability's negative patterns and they would vanish.
        for element in _QUOTES_AND_EMBEDS(tree):
            element.attrib.pop("class", None)
            element.attrib.pop("id", None)
        for heading in _LINKED_HEADINGS_BEFORE_PROSE(tree):
            _unwrap_offsite_links(heading, self.url or "")
        return tree

    def remove_unlikely_candidates(self) -> None:
        """readability's removal of unlikely candidates, its two class/id regexes cached per name."""
        for elem in self.html.findall(".//*"):
            names = "{} {}".format(elem.get("class", ""), elem.get("id", ""))
            if (
                len(names) >= 2
                and unlikely_name(names)
                and elem.tag not in ["html", "body"]
                and not elem.xpath("ancestor-or-self::pre | ancestor-or-self::code")
                and not elem.xpath("descendant-or-self::main | descendant-or-self::article | descendant-or-self::math")
            ):
                elem.drop_tree()

    def transform_misused_divs_into_paragraphs(self) -> None:
        """readability's div-to-<p> rewriting, with its search for block tags in serialised markup done on
        tag names instead (it serialised every div's children, nested divs again and again)."""
        block_markup = BlockMarkup(self.html)
        for elem in self.tags(self.html, "div"):
            if not block_markup.in_children(elem):
                elem.tag = "p"
        for elem in self.tags(self.html, "div"):
            children = list(elem)
            paragraph = None
            if elem.text and elem.text.strip():
                p = fragment_fromstring("<p/>")
                p.text = elem.text
                elem.text = None
                elem.insert(0, p)
                paragraph = p
            for child in children:
                if child.tag == "br":
                    paragraph = None
                    continue
                if child.tag not in INLINE_TAGS or block_markup.in_element(child):
                    paragraph = None
                    continue
                if paragraph is None:
                    paragraph = fragment_fromstring("<p/>")
                    child.addprevious(paragraph)
                paragraph.append(child)
            for pos, child in reversed(list(enumerate(elem))):
                if child.tail and child.tail.strip():
                    p = fragment_fromstring("<p/>")
                    p.text = child.tail
                    child.tail = None
                    elem.insert(pos + 1, p)
                if child.tag == "br":
                    child.drop_tree()

    def get_link_density(self, elem: etree._Element) -> float:
        """readability's link density, with its text lengths computed without building cleaned strings."""
        link_length = sum(text_length(link) for link in elem.findall(".//a"))
        return float(link_length) / max(text_length(elem), 1)

    def score_paragraphs(self) -> dict[etree._Element, dict]:
        """readability's paragraph scoring, same arithmetic in the same order, minus its three `re.sub`
        passes per paragraph: `clean()` only rewrites whitespace, so the comma count is the raw text's
        and the length is `clean_length`'s."""
        candidates: dict[etree._Element, dict] = {}
        ordered = []
        for elem in self.tags(self._html(), "p", "pre", "td", "blockquote"):
            parent_node = elem.getparent()
            if parent_node is None:
                continue
            grand_parent_node = parent_node.getparent()
            text = elem.text_content() or ""
            inner_text_len = clean_length(text)
            if inner_text_len < self.min_text_length:
                continue
            if parent_node not in candidates:
                candidates[parent_node] = self.score_node(parent_node)
                ordered.append(parent_node)
            if grand_parent_node is not None and grand_parent_node not in candidates:
                candidates[grand_parent_node] = self.score_node(grand_parent_node)
                ordered.append(grand_parent_node)
            content_score = 1.0
            content_score += text.count(",") + 1
            content_score += min((inner_text_len / 100), 3)
            candidates[parent_node]["content_score"] += content_score
            if grand_parent_node is not None:
                candidates[grand_parent_node]["content_score"] += content_score / 2.0
        for elem in ordered:
            candidates[elem]["content_score"] *= 1 - self.get_link_density(elem)
        return candidates

    def select_best_candidate(self, candidates: dict[etree._Element, dict]) -> dict | None:
        """readability's pick, raised to the ancestor that several near-best candidates share (Readability.js's
        rule, which readability-lxml lacks): an article split into sections wrapped one level deeper than
        their paragraphs scores each section on its own, and readability-lxml would keep the best one alone."""
        best = super().select_best_candidate(candidates)
        if best is None:
            return best
        ranked = sorted(candidates.values(), key=lambda c: c["content_score"], reverse=True)[:TOP_CANDIDATES]
        rivals = [
            set(c["elem"].iterancestors())
            for c in ranked
            if c is not best and c["content_score"] >= RIVAL_SCORE_SHARE * best["content_score"]
        ]
        if len(rivals) < MIN_RIVALS:
            return best
        for ancestor in best["elem"].iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            if sum(ancestor in chain for chain in rivals) >= MIN_RIVALS:
                promoted = candidates.get(ancestor) or {"content_score": 0, "elem": ancestor}
                promoted["content_score"] = max(promoted["content_score"], best["content_score"])
                candidates[ancestor] = promoted
                return promoted
        return best

    def get_article(
        self, candidates: dict[etree._Element, dict], best_candidate: dict, html_partial: bool = False
    ) -> etree._Element:
        """readability's article, with every repeated sibling of its pick: one short live-blog update
        scores below readability's sibling threshold, so it would keep the longest update alone."""
        best = best_candidate["elem"]
        threshold = max(SIBLING_MIN_SCORE, best_candidate["content_score"] * SIBLING_SCORE_SHARE)
        for sibling in _repeated_siblings(best):
            if sibling in candidates and self.get_link_density(sibling) < REPEATED_ITEM_MAX_LINK_DENSITY:
                candidates[sibling]["content_score"] = max(candidates[sibling]["content_score"], threshold)
        return super().get_article(candidates, best_candidate, html_partial=html_partial)

    def get_preserved_elements(self, node: etree._Element) -> dict[etree._Element, bool]:
        """Also spare wrappers of quotes/embedded posts and data tables: short and link-heavy, so
        readability's conditional cleaning would drop them, yet they are part of the story."""
        allowed = super().get_preserved_elements(node)
        for element in _QUOTE_WRAPPERS(node):
            allowed[element] = True
        for table in _DATA_TABLES(node):
            if self.get_link_density(table) < DATA_TABLE_MAX_LINK_DENSITY:
                allowed[table] = True
        return allowed


def _unwrap_offsite_links(element: etree._Element, page_url: str) -> None:
    """Keep the words of `element`'s links to other sites, drop those links."""
    site = urlsplit(page_url).hostname
    for link in element.findall(".//a"):
        host = urlsplit(link.get("href", "")).hostname
        if host and host != site:
            link.drop_tag()


def _repeated_siblings(element: etree._Element) -> list[etree._Element]:
    """Siblings with the element's tag and class, the element excluded."""
    parent = element.getparent()
    if parent is None or not element.get("class"):
        return []
    return [
        sibling
        for sibling in parent
        if sibling is not element and sibling.tag == element.tag and sibling.get("class") == element.get("class")
    ]


@dataclass(frozen=True)
class Pick:
    """readability's article subtree (None when it gives up) and the prose left on the pruned page, the
    measure of how much of the page's text the pick holds."""

    node: etree._Element | None
    page_prose: int


def readability_article(document: Document, url: str) -> Pick:
    """The article subtree readability selects from the pruned page."""
    reader = _PrunedReadability(document.tree, url=url)
    try:
        reader.summary(html_partial=True)
    except (Unparseable, ValueError, TypeError):
        return Pick(None, reader.page_prose)
    # summary() leaves the sanitized article node in `html`; using it saves re-parsing its string form.
    return Pick(reader.html, reader.page_prose)
