"""One crawled HTML page, in an extraction worker: parsed once, classified, extracted if it is an article.

The crawl's reactor thread only downloads, captures and follows links; deciding article or not (a parse and the
classifier, ~3 ms a page) and the text's fingerprints (SimHash ~3 ms, SHA-1) are CPU work it need not do, so they
happen here, in the worker, from the parse the extractor uses too. The crawl process imports this module to name
`page_content` to its pool, never to run it: the extraction stack (readability, trafilatura, the language model's
numpy) is imported on the first call, in the worker, and stays out of the crawl process (≈0.3 s of its start-up
and its heap).
"""

import re
from collections.abc import Sequence
from typing import Any

from pipelines.extract.classify import classify_page
from pipelines.extract.document import parse_html
from pipelines.records.build import sha1_hex
from pipelines.records.simhash import simhash_hex


def page_content(html: bytes | str, url: str, *, article_patterns: Sequence[re.Pattern[str]] = (),
                 deny_patterns: Sequence[re.Pattern[str]] = (), content_type: str | None = None,
                 **extract: Any) -> dict[str, Any]:
    """`{"page": "empty" | "other" | "article", "article_signals": [...]}`, and for an article the content fields
    of `extract_article` (given `extract`: fetched_at, hints, rules) with `text_sha1` and `simhash`."""
    document = parse_html(html, content_type=content_type)
    if document is None:
        return {"page": "empty", "article_signals": ["empty"]}
    is_article, signals = classify_page(document, url, article_patterns=article_patterns, deny_patterns=deny_patterns)
    if not is_article:
        return {"page": "other", "article_signals": signals}
    from pipelines.extract.article import extract_article  # see the module docstring

    content = extract_article(html, url, content_type=content_type, document=document, **extract)
    text = content.get("text") or ""
    return {**content, "page": "article", "article_signals": signals, "text_sha1": sha1_hex(text),
            "simhash": simhash_hex(text)}
