"""The article body: the main text of a page as clean paragraphs, boilerplate and repeats removed.

readability-lxml finds the article container in a tree already cut of page furniture (nodes.py);
the paragraphs in it are then filtered line by line (boilerplate.py) and de-duplicated, because
publishers repeat the teaser and wrap the article in prompts that container-level heuristics keep.
When readability's pick is a link list or empty, trafilatura gets the page instead; when the text
found is poor next to the story the page carries as data (JSON-LD, Next.js), the data's text is used
(structured.py); when the pick holds little of the page's prose, trafilatura's text replaces it if
ours is part of it (second_opinion.py).
"""

import logging
from collections.abc import Iterable
from typing import Any

from pipelines.extract.body.boilerplate import drop_crosslink_runs, is_boilerplate
from pipelines.extract.body.headline import headline_texts, is_headline
from pipelines.extract.body.paragraphs import Paragraph, html_paragraphs
from pipelines.extract.body.readability import readability_article
from pipelines.extract.body.second_opinion import is_fragment, reconcile, second_opinion
from pipelines.extract.body.structured import prefer_structured, structured_paragraphs
from pipelines.extract.body.summary import drop_summary_boxes
from pipelines.extract.body.trafilatura import trafilatura_paragraphs
from pipelines.extract.document import Document
from pipelines.extract.textnorm import normalize_text, word_count

log = logging.getLogger(__name__)

# A repeated paragraph this long is a duplicated teaser, not a recurring list label.
REPEAT_MIN_WORDS = 20
# The teaser and opening paragraphs a paywall page repeats lie within this many first paragraphs.
OPENING_PARAGRAPHS = 6
# A container with more link text than this is a list of links, not an article.
LINK_LIST_SHARE = 0.5


def extract_body(document: Document, url: str, *, metadata: dict[str, Any]) -> str:
    """Clean body text, paragraphs separated by one blank line; "" when no article text is found."""
    try:
        return normalize_text("\n\n".join(p.text for p in _body_paragraphs(document, url, metadata)))
    except Exception:  # never raise: a crawl must survive any page
        log.exception("body extraction failed for %s", url)
        return ""


def site_body(document: Document, paragraphs: list[Paragraph], *, metadata: dict[str, Any]) -> str:
    """A body a site's rules located, cleaned line by line like any other (prompts, credits, the headline)."""
    return normalize_text("\n\n".join(p.text for p in clean(paragraphs, headline_texts(document, metadata))))


def _body_paragraphs(document: Document, url: str, metadata: dict[str, Any]) -> list[Paragraph]:
    pick = readability_article(document, url)
    candidates = html_paragraphs(pick.node) if pick.node is not None else []
    if is_link_list(candidates):
        candidates = trafilatura_paragraphs(document, url)
    titles = headline_texts(document, metadata)
    kept = clean(candidates, titles)
    structured = clean(structured_paragraphs(document, metadata), titles)
    if prefer_structured(kept, structured):
        return structured
    if is_fragment(pick):
        about = f"{metadata.get('title') or ''} {metadata.get('description') or ''}"
        kept = reconcile(kept, clean(second_opinion(document, url, titles), titles), about)
    return kept


def clean(paragraphs: list[Paragraph], titles: list[str]) -> list[Paragraph]:
    """Boilerplate lines, the repeated headline and summary boxes out, repeats removed."""
    shown = drop_crosslink_runs(paragraphs)
    return dedupe(drop_summary_boxes([p for p in shown if not is_boilerplate(p) and not is_headline(p, titles)]))


def is_link_list(paragraphs: list[Paragraph]) -> bool:
    """Nothing found, or a container made mostly of link text: a teaser list readability mistook for
    the article (short articles next to long "more stories" rails)."""
    chars = sum(len(p.text) for p in paragraphs)
    return chars == 0 or sum(p.link_chars for p in paragraphs) > LINK_LIST_SHARE * chars


def dedupe(paragraphs: Iterable[Paragraph]) -> list[Paragraph]:
    """Drop repeats: a paragraph equal to the one before it, or a prose-length repeat of the opening.

    Publishers repeat the teaser or the whole opening in full after a paywall notice; lines further
    down legitimately recur (a meal plan's recipes, an interview's recurring question, "Meal 2"), so
    only the opening's paragraphs count as already seen.
    """
    opening: set[str] = set()
    kept: list[Paragraph] = []
    previous = ""
    for index, paragraph in enumerate(paragraphs):
        key = paragraph.text.casefold()
        repeated = key == previous or (key in opening and word_count(key) >= REPEAT_MIN_WORDS)
        if not repeated:
            kept.append(paragraph)
        if index < OPENING_PARAGRAPHS:
            opening.add(key)
        previous = key
    return kept
