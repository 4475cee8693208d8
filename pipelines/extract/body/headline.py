"""The page's headline as it may reappear in the body: metadata title, <title>, og:title, <h1>s."""

from typing import Any

from pipelines.extract.body.paragraphs import Paragraph
from pipelines.extract.document import Document

# Shorter lines may match the start of a <title> by chance ("News", "Video").
MIN_HEADLINE_CHARS = 15


def headline_texts(document: Document, metadata: dict[str, Any]) -> list[str]:
    """The page's headline as it may reappear above the text: metadata title, <title>, og:title, <h1>s."""
    tree = document.tree
    candidates = [metadata.get("title"), tree.findtext(".//title")]
    candidates += tree.xpath("//meta[@property='og:title' or @name='twitter:title']/@content")
    candidates += [h1.text_content() for h1 in tree.iter("h1")]
    return [" ".join(c.split()).casefold() for c in candidates if isinstance(c, str) and c.strip()]


def is_headline(paragraph: Paragraph, titles: list[str]) -> bool:
    """The title repeated as the body's first line (also "Headline | Site" in <title>)."""
    text = paragraph.text.casefold()
    return len(text) >= MIN_HEADLINE_CHARS and any(t == text or t.startswith(text) for t in titles)
