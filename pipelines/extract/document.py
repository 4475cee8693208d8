"""Turn raw page bytes into one parsed document that every extraction step shares.

Decoding follows the browser's order (BOM, HTTP charset, <meta charset>, detection) via w3lib,
so a page served with a wrong or missing charset still comes out as readable text.
"""

from dataclasses import dataclass

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from pipelines.extract.textnorm import strip_control


@dataclass(frozen=True)
class Document:
    """A page decoded once: `html` for string-based tools (readability, trafilatura), `tree` for XPath."""

    html: str
    tree: lxml.html.HtmlElement


def decode_html(html: bytes | str, content_type: str | None = None) -> str:
    """Bytes to text with the browser's charset rules; control characters removed."""
    if isinstance(html, bytes):
        _, html = html_to_unicode(content_type, html)
    return strip_control(html)


def parse_html(html: bytes | str, *, content_type: str | None = None) -> Document | None:
    """Parse a page; None when there is no markup to speak of (empty, binary junk)."""
    text = decode_html(html, content_type)
    if not text.strip():
        return None
    try:
        tree = lxml.html.document_fromstring(text, parser=lxml.html.HTMLParser(remove_comments=True))
    except (etree.ParserError, ValueError):
        return None
    return Document(html=text, tree=tree)
