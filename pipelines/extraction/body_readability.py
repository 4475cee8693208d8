"""readability-lxml as the article-node finder: it picks the container with the densest prose."""

import copy
import logging

import lxml.html
from lxml import etree
from readability import Document as ReadabilityDocument
from readability.readability import Unparseable

from pipelines.extraction.document import Document

# readability logs every page it finds hard at INFO/exception level; that is noise for a crawl log.
logging.getLogger("readability.readability").setLevel(logging.CRITICAL)


def readability_article(document: Document, url: str) -> etree._Element | None:
    """The article subtree readability selects, or None when it gives up.

    readability mutates the tree it is given, so it works on a copy of the shared one (cheaper than
    re-parsing the HTML string).
    """
    try:
        reader = ReadabilityDocument(copy.deepcopy(document.tree), url=url or None)
        summary = reader.summary(html_partial=True)
    except (Unparseable, ValueError, TypeError):
        return None
    if not summary or not summary.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(summary, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
