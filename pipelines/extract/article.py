"""Public extraction API: one HTML page in, the record's content fields out.

The same function serves live crawls, re-extraction from WARCs, imports and `newsarchive extract`.
It never raises: whatever the input (empty, binary, broken markup, wrong charset) it returns a dict
with every content key, empty where nothing could be found.
"""

import logging
from datetime import datetime
from typing import Any

from pipelines.extract.body.text import extract_body, site_body
from pipelines.extract.document import Document, parse_html
from pipelines.extract.language import resolve_language
from pipelines.extract.metadata.fields import empty_metadata, extract_metadata
from pipelines.extract.paywall import detect_paywall
from pipelines.extract.sites import SiteRules, parser_for, site_metadata
from pipelines.extract.sites.rules import SiteFields
from pipelines.extract.textnorm import word_count

log = logging.getLogger(__name__)

# Content fields that come from page metadata; `text`, `word_count` and `paywall` are added here.
METADATA_FIELDS = ("title", "authors", "published_at", "modified_at", "date_source", "language", "section",
                   "section_raw", "tags", "description", "image", "site_name", "canonical_url")
CONTENT_FIELDS = (*METADATA_FIELDS, "language_tag", "text", "word_count", "paywall")


def empty_result(url: str) -> dict[str, Any]:
    """Every content key with its empty value (fresh lists, never shared)."""
    metadata = empty_metadata(url)
    result = {key: metadata[key] for key in METADATA_FIELDS}
    result.update(language_tag=None, text="", word_count=0, paywall={"detected": False, "signals": []})
    return result


def extract_article(
    html: bytes | str,
    url: str,
    *,
    fetched_at: datetime | None = None,
    hints: dict[str, Any] | None = None,
    content_type: str | None = None,
    rules: SiteRules | None = None,
    document: Document | None = None,
) -> dict[str, Any]:
    """Extract the record's content fields from one page.

    `fetched_at` caps dates (nothing published after the fetch); `hints` carries what discovery
    knew (sitemap/feed title, date, language); `content_type` may carry the HTTP charset; `rules` are
    the sites file's selectors for this site (a parser registered for the page's domain applies anyway);
    `document` is the page already parsed from `html` (one parse for the classifier and the extractor).
    """
    try:
        return _extract(html, url, fetched_at=fetched_at, hints=hints or {}, content_type=content_type, rules=rules,
                        document=document)
    except Exception:  # the contract is "never raises": one bad page must not stop a crawl
        log.exception("extraction failed for %s; returning an empty record", url)
        return {**empty_result(url), "extraction_failed": True}  # counted by the run (records ignore the key)


def _extract(
    html: bytes | str,
    url: str,
    *,
    fetched_at: datetime | None,
    hints: dict[str, Any],
    content_type: str | None,
    rules: SiteRules | None,
    document: Document | None,
) -> dict[str, Any]:
    result = empty_result(url)
    document = document or parse_html(html, content_type=content_type)
    if document is None:
        return result
    parser = parser_for(url, rules)
    site = parser.read(document) if parser is not None else SiteFields()
    metadata = extract_metadata(document, url, fetched_at=fetched_at, hints=hints)
    metadata.update(site_metadata(site, fetched_at))
    if site.paragraphs:
        text = site_body(document, site.paragraphs, metadata=metadata)
    else:
        text = extract_body(document, url, metadata=metadata)
    for key in METADATA_FIELDS:
        if metadata.get(key) not in (None, "", []):
            result[key] = metadata[key]
    result["text"] = text
    result["word_count"] = word_count(text)
    # `language` is the primary subtag (`en`), so records of one language group together whatever region the
    # template declares; the page's full tag (`en-GB`, `pt-BR`, `zh-Hant-TW`) stays in `language_tag`.
    result["language_tag"] = resolve_language(metadata.get("language"), text)
    result["language"] = result["language_tag"].split("-")[0] if result["language_tag"] else None
    result["paywall"] = detect_paywall(document, text, metadata)
    return result


# A page that reaches every lazily loaded part: enough prose for the language model, and a date only
# htmldate's text search can read (its date-parser tables).
WARM_UP_PAGE = (
    b'<html lang="en"><head><title>Warm-up</title></head><body><article><h1>Warm-up page</h1>'
    b'<p class="date">November 20 15:23 2019</p><p>'
    + b"The council met on Tuesday evening to discuss the budget for the coming year, and members agreed "
    b"that the library and the swimming pool would stay open for longer hours during the summer months. " * 3
    + b"</p></article></body></html>"
)


def warm_up() -> None:
    """Load what extraction loads once per process (language model, date-parser tables: about 0.6 s), so
    the first real page is no slower than the rest. Extraction workers call it when they start."""
    extract_article(WARM_UP_PAGE, "https://warm-up.invalid/page")

