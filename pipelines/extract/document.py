"""Turn raw page bytes into one parsed document that every extraction step shares.

Decoding checks the declared charset against the bytes (charset.py), so a page served with a wrong or
missing charset still comes out as readable text. The parser runs in libxml2's huge mode: without it
a single text node over 10 MB (a hydration JSON blob, an inlined bundle) ends the parse there and
everything after it, the article included, is lost. Page size is bounded upstream (the crawl's
download cap), so lifting the per-node limit bounds nothing that was not bounded already.
"""

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from pipelines.extract.charset import decode_page
from pipelines.extract.textnorm import strip_control

# An XHTML page's `<?xml version="1.0" encoding="…"?>`: it names the encoding of bytes that are already
# decoded, and lxml refuses to parse a str that carries one.
_XML_DECLARATION = re.compile(r"^[\s\ufeff]*<\?xml\b[^>]*\?>")


@dataclass(frozen=True)
class Document:
    """A page decoded once: `html` for string-based tools (readability, trafilatura), `tree` for XPath."""

    html: str
    tree: lxml.html.HtmlElement


def decode_html(html: bytes | str, content_type: str | None = None) -> str:
    """Bytes to text (charset checked against the bytes); control characters and the XML declaration removed."""
    if isinstance(html, bytes):
        html = decode_page(html, content_type)
    return _XML_DECLARATION.sub("", strip_control(html), count=1)


def parse_html(html: bytes | str, *, content_type: str | None = None) -> Document | None:
    """Parse a page; None when there is no markup to speak of (empty, binary junk)."""
    text = decode_html(html, content_type)
    if not text.strip():
        return None
    try:
        tree = lxml.html.document_fromstring(text, parser=lxml.html.HTMLParser(remove_comments=True, huge_tree=True))
    except (etree.ParserError, ValueError):
        return None
    return Document(html=text, tree=tree)
