"""readability-lxml as the article-node finder: it picks the container with the densest prose."""

import copy
import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import fragment_fromstring
from readability import Document as ReadabilityDocument
from readability.readability import REGEXES, Unparseable

from pipelines.extract.body.nodes import prune_boilerplate
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
# readability's `clean()` collapses these whitespace runs; `_clean_length` reproduces its length.
_WHITESPACE_RUNS = re.compile(r"\s{2,}")
_TABS_AND_SPACE_RUNS = re.compile(r"\t|[ \t]{2,}")
READABILITY_MAX_RUN = 255
_BLOCK_MARKUP = REGEXES["divToPElementsRe"]
_UNLIKELY = REGEXES["unlikelyCandidatesRe"]
_MAYBE_CANDIDATE = REGEXES["okMaybeItsACandidateRe"]
# readability's inline tags for wrapping a div's loose inline children in <p>.
_INLINE_TAGS = frozenset({"a", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub", "sup", "u"})
# Elements whose text an HTML serialisation may write unescaped, where "<p" could be text, not a tag.
_RAW_TEXT_TAGS = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext",
                            "textarea", "title"})
# readability's own threshold for appending a sibling to its pick.
SIBLING_MIN_SCORE = 10
SIBLING_SCORE_SHARE = 0.2


class _PrunedReadability(ReadabilityDocument):
    """readability fed a pruned copy of our parsed tree instead of re-parsing and re-cleaning the HTML.

    readability's own `_parse` re-parses, runs lxml's Cleaner and absolutizes every link: two thirds of
    its run time, none of which the body text needs. It calls `_parse` again on each retry, and the copy
    keeps every attempt independent of the shared tree.
    """

    def _parse(self, input: etree._Element) -> etree._Element:
        tree = prune_boilerplate(copy.deepcopy(input))
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
                and _unlikely_name(names)
                and elem.tag not in ["html", "body"]
                and not elem.xpath("ancestor-or-self::pre | ancestor-or-self::code")
                and not elem.xpath("descendant-or-self::main | descendant-or-self::article | descendant-or-self::math")
            ):
                elem.drop_tree()

    def transform_misused_divs_into_paragraphs(self) -> None:
        """readability's div-to-<p> rewriting, with its search for block tags in serialised markup done on
        tag names instead (it serialised every div's children, nested divs again and again)."""
        block_markup = _BlockMarkup(self.html)
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
                if child.tag not in _INLINE_TAGS or block_markup.in_element(child):
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
        link_length = sum(_text_length(link) for link in elem.findall(".//a"))
        return float(link_length) / max(_text_length(elem), 1)

    def score_paragraphs(self) -> dict[etree._Element, dict]:
        """readability's paragraph scoring, same arithmetic in the same order, minus its three `re.sub`
        passes per paragraph: `clean()` only rewrites whitespace, so the comma count is the raw text's
        and the length is `_clean_length`'s."""
        candidates: dict[etree._Element, dict] = {}
        ordered = []
        for elem in self.tags(self._html(), "p", "pre", "td", "blockquote"):
            parent_node = elem.getparent()
            if parent_node is None:
                continue
            grand_parent_node = parent_node.getparent()
            text = elem.text_content() or ""
            inner_text_len = _clean_length(text)
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


def _clean_length(text: str) -> int:
    """`len(readability.readability.clean(text))` without building the string (a third of its run time).

    `clean` caps a whitespace run at 255 chars, turns a run holding a newline into one newline, each tab
    into a space and a run of spaces/tabs into one space, then strips: only runs of two or more
    whitespace chars change the length, each independently (bench/extract_equivalence.py checks it).
    """
    text = text.strip()
    length = len(text)
    for match in _WHITESPACE_RUNS.finditer(text):
        run = match.group()
        if len(run) >= READABILITY_MAX_RUN or "\n" in run:
            length -= len(run) - 1
        else:
            length -= len(run) - len(_TABS_AND_SPACE_RUNS.sub(" ", run))
    return length


def _text_length(element: etree._Element) -> int:
    """readability's `text_length`: the cleaned length of the element's text."""
    return _clean_length(element.text_content() or "")


@lru_cache(maxsize=4096)
def _unlikely_name(names: str) -> bool:
    """readability's "unlikely candidate" verdict on a class/id string; pages repeat a few names a lot."""
    return bool(_UNLIKELY.search(names)) and not _MAYBE_CANDIDATE.search(names)


class _BlockMarkup:
    """Answers readability's "does this markup hold a block tag?" (`divToPElementsRe` over serialised
    children) for a whole tree in one pass, where readability serialised every div's subtree again.

    Serialisation escapes "<" in text and attribute values, so the regex (a "<" then a tag name) only
    ever matches a start tag: an element holds block markup when a descendant's "<" + tag matches. The
    answers stay true while readability renames divs to <p>, which the regex matches as well. Below
    a comment, processing instruction, raw-text element (a literal "<" may be text) or namespaced tag
    (written with a prefix) the markup is serialised and searched as readability does.
    """

    def __init__(self, root: etree._Element) -> None:
        self.holders: set[etree._Element] = set()
        self.unsure: set[etree._Element] = set()
        for element in root.iter():
            tag = element.tag
            if not isinstance(tag, str) or tag in _RAW_TEXT_TAGS or "{" in tag:
                marked = self.unsure
            elif _BLOCK_MARKUP.match(f"<{tag}"):
                marked = self.holders
            else:
                continue
            parent = element.getparent()
            while parent is not None and parent not in marked:  # a marked parent has marked ancestors
                marked.add(parent)
                parent = parent.getparent()

    def in_children(self, element: etree._Element) -> bool:
        """readability's test on a div's children, serialised as XML."""
        if element in self.unsure:
            return bool(_BLOCK_MARKUP.search(str(b"".join(etree.tostring(c, encoding="utf-8") for c in element))))
        return element in self.holders

    def in_element(self, element: etree._Element) -> bool:
        """readability's test on an inline element (never a block tag itself), serialised as HTML."""
        if element in self.unsure:
            return bool(_BLOCK_MARKUP.search(etree.tounicode(element, method="html")))
        return element in self.holders


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


def readability_article(document: Document, url: str) -> etree._Element | None:
    """The article subtree readability selects from the pruned page, or None when it gives up."""
    reader = _PrunedReadability(document.tree, url=url)
    try:
        reader.summary(html_partial=True)
    except (Unparseable, ValueError, TypeError):
        return None
    # summary() leaves the sanitized article node in `html`; using it saves re-parsing its string form.
    return reader.html
