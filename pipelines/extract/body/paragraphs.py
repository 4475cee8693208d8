"""Turn an HTML subtree into paragraphs: block boundaries become breaks, inline markup is flattened.

Every body candidate (readability's article node, the page itself) goes through this one walker, so
the boilerplate rules downstream see the same paragraph shapes whatever produced them. The walk is
iterative (lxml iterwalk): hostile pages nest deeper than Python's recursion limit.
"""

import re
from dataclasses import dataclass

from lxml import etree

# Elements whose start or end separates paragraphs.
BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
# Elements whose text is never prose.
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "select",
        "option",
        "button",
        "input",
        "textarea",
        "head",
        "title",
        "meta",
        "link",
    }
)
# Table cells are words of their row: a row reads as one line ("6 Ryan Blaney 2339 1 1"), and equal
# neighbouring cells are not mistaken for a repeated paragraph.
CELL_TAGS = frozenset({"td", "th"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Paragraph:
    """One block of text, the tag of the block that holds it, and how much of it is link text."""

    text: str
    tag: str
    link_chars: int = 0

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0

    @property
    def is_heading(self) -> bool:
        return self.tag in HEADING_TAGS


class _Collector:
    """Accumulates inline text until a block boundary flushes it as a Paragraph."""

    def __init__(self) -> None:
        self.paragraphs: list[Paragraph] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.blocks: list[str] = ["div"]
        self.link_depth = 0

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            if self.link_depth:
                self.link_chars += len(_SPACES.sub(" ", text).strip())

    def flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.parts)).strip()
        if text:
            self.paragraphs.append(Paragraph(text, self.blocks[-1], min(self.link_chars, len(text))))
        self.parts.clear()
        self.link_chars = 0


def _tag(element: etree._Element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def html_paragraphs(root: etree._Element) -> list[Paragraph]:
    """Paragraphs of `root` in document order; script/style/form controls contribute nothing."""
    out = _Collector()
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = _tag(element)
        if event == "start":
            if not tag or tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                out.flush()
                out.blocks.append(tag)
            elif tag == "a":
                out.link_depth += 1
            elif tag in CELL_TAGS:
                out.add(" ")
            out.add(element.text)
            continue
        if tag in BLOCK_TAGS:
            out.flush()
            out.blocks.pop()
        elif tag == "a":
            out.link_depth -= 1
        elif tag in CELL_TAGS:
            out.add(" ")
        if element is not root:
            out.add(element.tail)
    out.flush()
    return out.paragraphs
