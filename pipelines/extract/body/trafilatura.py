"""trafilatura as the second opinion: a fallback when readability's pick is not an article, and the
candidate compared with ours when the pick may be one section of it (second_opinion.py).

Its XML output keeps what plain text loses: headings, list items, table rows and links. Renamed to their
HTML equivalents, it goes through the same paragraph walker as readability's pick, so link density and
block tags mean the same in both and the boilerplate rules judge both alike.
"""

import logging

import trafilatura
from lxml import etree

from pipelines.extract.body.paragraphs import Paragraph, html_paragraphs
from pipelines.extract.document import Document

# trafilatura logs at ERROR for pages it cannot handle; the fallback's caller decides what that means.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

# trafilatura's XML elements as the HTML the paragraph walker knows (`head` carries its level in `rend`).
HTML_TAGS = {"p": "p", "list": "ul", "item": "li", "table": "table", "row": "tr", "cell": "td", "quote": "blockquote",
             "ref": "a", "lb": "br", "hi": "span", "del": "span", "code": "code", "main": "div"}


def trafilatura_paragraphs(
    document: Document, url: str, *, favor_precision: bool = True, fast: bool = False
) -> list[Paragraph]:
    """trafilatura's main text as paragraphs (it copies the tree it is given, so the shared one is safe);
    `fast` skips its readability and jusText fallbacks."""
    try:
        xml = trafilatura.extract(
            document.tree, url=url or None, favor_precision=favor_precision, include_comments=False,
            include_tables=True, include_links=True, output_format="xml", fast=fast,
        )
        main = etree.fromstring(xml.encode("utf-8")).find("main") if xml else None
    except (ValueError, TypeError, AttributeError, etree.XMLSyntaxError):
        return []
    if main is None:
        return []
    for element in main.iter():
        if element.tag == "head":
            level = element.get("rend", "")
            element.tag = level if level in ("h1", "h2", "h3", "h4", "h5", "h6") else "h2"
        else:
            element.tag = HTML_TAGS.get(element.tag, "span")
    return html_paragraphs(main)
