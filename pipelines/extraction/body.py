"""The article body: the main text of a page as clean paragraphs, boilerplate and repeats removed.

readability-lxml finds the article container; the paragraphs in it are then filtered line by line
(boilerplate.py) and de-duplicated, because publishers repeat the teaser and wrap the article in
prompts that container-level heuristics keep.
"""

import logging
from typing import Any

from pipelines.extraction.body_readability import readability_article
from pipelines.extraction.boilerplate import is_boilerplate
from pipelines.extraction.document import Document
from pipelines.extraction.paragraphs import Paragraph, html_paragraphs
from pipelines.textnorm import normalize_text

log = logging.getLogger(__name__)


def extract_body(document: Document, url: str, *, metadata: dict[str, Any]) -> str:
    """Clean body text, paragraphs separated by one blank line; "" when no article text is found."""
    try:
        return normalize_text("\n\n".join(p.text for p in _body_paragraphs(document, url, metadata)))
    except Exception:  # never raise: a crawl must survive any page
        log.exception("body extraction failed for %s", url)
        return ""


def _body_paragraphs(document: Document, url: str, metadata: dict[str, Any]) -> list[Paragraph]:
    article = readability_article(document)
    if article is None:
        return []
    return dedupe(p for p in html_paragraphs(article) if not is_boilerplate(p))


def dedupe(paragraphs) -> list[Paragraph]:
    """Keep the first occurrence of each paragraph text (repeated teasers, duplicated captions)."""
    seen: set[str] = set()
    kept = []
    for paragraph in paragraphs:
        key = paragraph.text.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(paragraph)
    return kept
