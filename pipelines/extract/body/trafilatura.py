"""trafilatura as the second opinion, asked only when readability's pick is clearly not an article.

It costs about as much as the whole readability path, so it is a fallback rather than a voter: on
the AEB tune half, paragraph-level union or intersection with it did not beat readability alone.
"""

import logging

import trafilatura

from pipelines.extract.body.paragraphs import Paragraph
from pipelines.extract.document import Document

# trafilatura logs at ERROR for pages it cannot handle; the fallback's caller decides what that means.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


def trafilatura_paragraphs(document: Document, url: str) -> list[Paragraph]:
    """trafilatura's main text as paragraphs (it copies the tree it is given, so the shared one is safe)."""
    try:
        text = trafilatura.extract(
            document.tree, url=url or None, favor_precision=True, include_comments=False, include_tables=True
        )
    except (ValueError, TypeError, AttributeError):
        return []
    return [Paragraph(line.strip(), "p") for line in (text or "").splitlines() if line.strip()]
