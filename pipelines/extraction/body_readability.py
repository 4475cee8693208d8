"""readability-lxml as the article-node finder: it picks the container with the densest prose."""

import copy
import logging

from lxml import etree
from readability import Document as ReadabilityDocument
from readability.readability import Unparseable

from pipelines.extraction.boilerplate_nodes import prune_boilerplate
from pipelines.extraction.document import Document

# readability logs every page it finds hard at INFO/exception level; that is noise for a crawl log.
logging.getLogger("readability.readability").setLevel(logging.CRITICAL)


class _PrunedReadability(ReadabilityDocument):
    """readability fed a pruned copy of our parsed tree instead of re-parsing and re-cleaning the HTML.

    readability's own `_parse` re-parses, runs lxml's Cleaner and absolutizes every link: two thirds of
    its run time, none of which the body text needs. It calls `_parse` again on each retry, and the copy
    keeps every attempt independent of the shared tree.
    """

    def _parse(self, input: etree._Element) -> etree._Element:
        tree = prune_boilerplate(copy.deepcopy(input))
        # Quotes are article content; embedded posts ("twitter-tweet") would otherwise hit
        # readability's unlikely-candidate names and vanish.
        for quote in tree.iter("blockquote"):
            quote.attrib.pop("class", None)
            quote.attrib.pop("id", None)
        return tree


def readability_article(document: Document) -> etree._Element | None:
    """The article subtree readability selects from the pruned page, or None when it gives up."""
    reader = _PrunedReadability(document.tree)
    try:
        reader.summary(html_partial=True)
    except (Unparseable, ValueError, TypeError):
        return None
    # summary() leaves the sanitized article node in `html`; using it saves re-parsing its string form.
    return reader.html
