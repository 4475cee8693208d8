"""Article metadata from one parsed page: what the publisher declared, checked and normalised.

Declared metadata (JSON-LD, Open Graph, meta tags) is preferred over markup heuristics because it is
what the publisher meant; discovery hints (sitemap/feed) fill gaps. Each field is computed on its own
so one broken source costs that field, never the record.
"""

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from pipelines.extract.document import Document
from pipelines.extract.language import normalize_tag
from pipelines.extract.metadata.authors import find_authors
from pipelines.extract.metadata.dates import find_modified, find_published
from pipelines.extract.metadata.jsonld import JsonLd, first_text, text_values
from pipelines.extract.metadata.metatags import MetaTags
from pipelines.extract.metadata.sections import find_section
from pipelines.extract.metadata.titles import choose_title, clean
from pipelines.extract.urls import choose_canonical, registered_domain

log = logging.getLogger(__name__)

MAX_TAGS = 50
MAX_HEADINGS = 3
MAX_SUBHEADINGS = 5
MAX_PUBLISHER_CHARS = 40  # longer "names" are misfilled fields (MSN puts the headline in application-name)


def _safe(field: str, compute: Callable[[], Any], default: Any) -> Any:
    """One field's failure is logged and costs that field only."""
    try:
        return compute()
    except Exception:
        log.exception("metadata field %s failed", field)
        return default


def _site_name(jsonld: JsonLd, meta: MetaTags) -> str | None:
    publisher = jsonld.resolve((jsonld.article or {}).get("publisher"))
    return clean(meta.get("og:site_name") or first_text(publisher) or meta.get("application-name")) or None


def _declared_publishers(site_name: str | None, meta: MetaTags) -> list[str]:
    """The names the publisher gives itself: what a byline naming the publisher, not a person, would say.
    The domain is not one: on a personal site it spells the author's name ("karl-voit.at")."""
    names = [site_name, meta.get("application-name"), (meta.get("twitter:site") or "").lstrip("@")]
    return [n for n in names if n and len(n) <= MAX_PUBLISHER_CHARS]


def _publishers(site_name: str | None, url: str, meta: MetaTags) -> list[str]:
    """Every spelling of the publisher a title suffix might use: its declared names and its domain."""
    domain = registered_domain(url)
    host = urlsplit(url).hostname or ""
    names = [domain, host, domain.split(".")[0] if domain else None]
    return _declared_publishers(site_name, meta) + [n for n in names if n and len(n) <= MAX_PUBLISHER_CHARS]


def _title(document: Document, jsonld: JsonLd, meta: MetaTags, publishers: list[str], hints: dict) -> str:
    article = jsonld.article or {}
    title_tag = document.tree.find(".//title")
    declared = [
        first_text(article.get("headline")),
        meta.get("og:title"),
        meta.get("twitter:title"),
        meta.get("title", "dc.title", "headline"),
        title_tag.text_content() if title_tag is not None else None,
        hints.get("title"),
    ]
    headings = [h.text_content() for h in document.tree.xpath("//article//h1 | //h1")[:MAX_HEADINGS]]
    subheadings = [h.text_content() for h in document.tree.xpath("//h2 | //h3")[:MAX_SUBHEADINGS]]
    return choose_title(declared, headings, publishers, subheadings)


def _declared_language(document: Document, jsonld: JsonLd, meta: MetaTags, hints: dict) -> str | None:
    article = jsonld.article or {}
    return normalize_tag(
        document.tree.get("lang")
        or document.tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        or meta.get("content-language", "dc.language", "language")
        or first_text(article.get("inLanguage"))
        or meta.get("og:locale")
        or hints.get("language")
    )


def _tags(jsonld: JsonLd, meta: MetaTags) -> list[str]:
    """Keywords from JSON-LD, article:tag and keyword metas; comma lists split, duplicates removed."""
    raw = text_values((jsonld.article or {}).get("keywords"))
    raw += meta.all("article:tag", "news_keywords", "keywords", "parsely-tags")
    tags: dict[str, str] = {}
    for value in raw:
        for tag in re.split(r"\s*[,;]\s*", value):
            tag = clean(tag)
            if tag and len(tag) <= 100:
                tags.setdefault(tag.casefold(), tag)
    return list(tags.values())[:MAX_TAGS]


def _image(jsonld: JsonLd, meta: MetaTags, url: str) -> str | None:
    image = meta.get("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
    image = image or first_text(jsonld.resolve((jsonld.article or {}).get("image")))
    if not image:
        return None
    absolute = urljoin(url, image.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _is_accessible_for_free(jsonld: JsonLd) -> bool | None:
    """The publisher's paywall declaration, on the article or any of its `hasPart` sections."""
    article = jsonld.article or {}
    parts = article.get("hasPart")
    values = [article.get("isAccessibleForFree")]
    values += [
        p.get("isAccessibleForFree") for p in (parts if isinstance(parts, list) else [parts]) if isinstance(p, dict)
    ]
    flags = [v if isinstance(v, bool) else str(v).strip().lower() == "true" for v in values if v is not None]
    if not flags:
        return None
    return all(flags)


def _json_ld_body(jsonld: JsonLd) -> str | None:
    body = (jsonld.article or {}).get("articleBody")
    return body.strip() if isinstance(body, str) and body.strip() else None


def _page_types(jsonld: JsonLd, meta: MetaTags) -> list[str]:
    return list(dict.fromkeys([*(t.strip() for t in meta.all("og:type")), *jsonld.types()]))


def empty_metadata(url: str) -> dict[str, Any]:
    """Every key, nothing found: what a page that defeats every extractor gets."""
    return {
        "title": "",
        "authors": [],
        "published_at": None,
        "modified_at": None,
        "date_source": None,
        "language": None,
        "section": None,
        "section_raw": None,
        "tags": [],
        "description": None,
        "image": None,
        "site_name": None,
        "canonical_url": url,
        "json_ld_body": None,
        "is_accessible_for_free": None,
        "page_types": [],
    }


def extract_metadata(
    document: Document, url: str, *, fetched_at: datetime | None = None, hints: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every metadata field of the record (see RECORDS.md) plus `json_ld_body`, `is_accessible_for_free`
    and `page_types` for the body and paywall steps. Never raises."""
    try:
        return _extract(document, url, fetched_at=fetched_at, hints=hints or {})
    except Exception:
        log.exception("metadata extraction failed for %s", url)
        return empty_metadata(url)


def _extract(document: Document, url: str, *, fetched_at: datetime | None, hints: dict[str, Any]) -> dict[str, Any]:
    tree = document.tree
    jsonld = JsonLd.from_tree(tree)
    meta = MetaTags(tree)
    site_name = _safe("site_name", lambda: _site_name(jsonld, meta), None)
    publishers = _publishers(site_name, url, meta)
    organisations = _declared_publishers(site_name, meta)
    language = _safe("language", lambda: _declared_language(document, jsonld, meta, hints), None)
    published = _safe(
        "published_at",
        lambda: find_published(
            tree=tree, jsonld=jsonld, meta=meta, url=url, hints=hints, fetched_at=fetched_at, language=language
        ),
        None,
    )
    modified = _safe(
        "modified_at", lambda: find_modified(jsonld=jsonld, meta=meta, published=published, fetched_at=fetched_at), None
    )
    canonical_candidates = [*tree.xpath("//link[@rel='canonical']/@href"), meta.get("og:url") or ""]
    return {
        "title": _safe("title", lambda: _title(document, jsonld, meta, publishers, hints), ""),
        "authors": _safe("authors", lambda: find_authors(tree, jsonld, meta, organisations=organisations), []),
        "published_at": published.rfc3339() if published else None,
        "modified_at": modified.rfc3339() if modified else None,
        "date_source": published.source if published else None,
        "language": language,
        **dict(zip(("section", "section_raw"),
                   _safe("section", lambda: find_section(tree, jsonld, meta, url), (None, None)), strict=True)),
        "tags": _safe("tags", lambda: _tags(jsonld, meta), []),
        "description": clean(meta.get("og:description", "description", "twitter:description")) or None,
        "image": _safe("image", lambda: _image(jsonld, meta, url), None),
        "site_name": site_name,
        "canonical_url": _safe("canonical_url", lambda: choose_canonical(url, canonical_candidates), url),
        "json_ld_body": _json_ld_body(jsonld),
        "is_accessible_for_free": _safe("is_accessible_for_free", lambda: _is_accessible_for_free(jsonld), None),
        "page_types": _page_types(jsonld, meta),
    }
