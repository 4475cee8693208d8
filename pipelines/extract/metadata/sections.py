"""The article's section as a human label (`World`, `Middle East`), with the raw value the page gave.

Pages name their section in many shapes: JSON-LD `articleSection` and `article:section` metas hold labels
("World") or CMS slugs and paths ("/world/middle_east", "front-page"); breadcrumbs and navigation hold the label
readers see. The label is taken from the most deliberate source and normalised; where the page declares none,
the breadcrumb, then the navigation link to the URL's first path segment (a structural agreement between the
URL and the page's own menu, not a list of section names) give it.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from pipelines.extract.metadata.jsonld import JsonLd, first_text, node_types, text_values
from pipelines.extract.metadata.metatags import MetaTags
from pipelines.extract.metadata.titles import clean

MAX_LABEL_CHARS = 60
SECTION_META = ("article:section", "parsely-section", "section", "og:article:section")
_SLUG = re.compile(r"^[/a-z0-9_.\-]+$")  # a CMS slug or path, not text meant for readers
_SEGMENT = re.compile(r"^[^\W\d_][\w-]{1,40}$")  # a path segment that can name a section (not a date, not an id)
_BREADCRUMB = ("//*[contains(translate(@class, 'BREADCRUMB', 'breadcrumb'), 'breadcrumb') or "
               "contains(translate(@id, 'BREADCRUMB', 'breadcrumb'), 'breadcrumb') or "
               "contains(translate(@aria-label, 'BREADCRUMB', 'breadcrumb'), 'breadcrumb')]//a[@href]")


def find_section(tree: HtmlElement, jsonld: JsonLd, meta: MetaTags, url: str) -> tuple[str | None, str | None]:
    """(label, raw): the section readers see, and the value the page gave it as (both None when unknown)."""
    declared = text_values((jsonld.article or {}).get("articleSection"))
    raw = (declared[0] if declared else None) or meta.get(*SECTION_META)
    if raw and (label := humanize(raw)):
        return label, clean(raw)
    for found in (_jsonld_breadcrumb(jsonld, url), _markup_breadcrumb(tree, url), _navigation_label(tree, url)):
        if found and (label := humanize(found)):
            return label, clean(found)
    return None, None


def humanize(raw: str) -> str | None:
    """A label from what the page gave: a slug or path becomes words (`/world/middle_east` → `Middle East`,
    `front-page` → `Front Page`), a label keeps the publisher's spelling; too long to be a section → None."""
    text = clean(raw) or ""
    if _SLUG.match(text):
        segments = [s for s in text.strip("/").split("/") if s]
        text = " ".join(re.split(r"[-_.]+", segments[-1])).strip().title() if segments else ""
    elif text.islower():
        text = text[:1].upper() + text[1:]
    return text if 0 < len(text) <= MAX_LABEL_CHARS else None


def _jsonld_breadcrumb(jsonld: JsonLd, url: str) -> str | None:
    """The last crumb of a BreadcrumbList that is not the article itself."""
    for node in jsonld.nodes:
        if "BreadcrumbList" not in node_types(node):
            continue
        items = node.get("itemListElement")
        crumbs = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            target = jsonld.resolve(item.get("item"))
            if isinstance(target, dict):
                link, name = first_text(target.get("@id") or target.get("url")), first_text(target.get("name"))
            else:
                link, name = first_text(target), None
            name = first_text(item.get("name")) or name
            if name and not _same_page(link, url):
                crumbs.append(name)
        if crumbs:
            return crumbs[-1]
    return None


def _markup_breadcrumb(tree: HtmlElement, url: str) -> str | None:
    crumbs = [a.text_content() for a in tree.xpath(_BREADCRUMB) if not _same_page(a.get("href"), url)]
    crumbs = [c for c in (clean(c) for c in crumbs) if c]
    return crumbs[-1] if len(crumbs) > 1 or (crumbs and not _is_home(tree, crumbs[0])) else None


def _navigation_label(tree: HtmlElement, url: str) -> str | None:
    """The text of the page's own link to the URL's first path segment (`/politics/...` and a menu link to
    `/politics/`): the section the site files the article under, in the site's words."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if len(segments) < 2 or not _SEGMENT.match(segments[0]):
        return None
    section_path = f"/{segments[0]}"
    for link in tree.xpath("//nav//a[@href] | //header//a[@href]"):
        path = urlsplit(urljoin(url, link.get("href"))).path.rstrip("/")
        if path == section_path and (text := clean(link.text_content())):
            return text
    return None


def _same_page(link: str | None, url: str) -> bool:
    if not link:
        return False
    a, b = urlsplit(urljoin(url, link)), urlsplit(url)
    return (a.netloc, a.path.rstrip("/")) == (b.netloc, b.path.rstrip("/"))


def _is_home(tree: HtmlElement, label: str) -> bool:
    """A single crumb that links to the site's root is the homepage, not a section."""
    return any(urlsplit(a.get("href") or "").path in ("", "/") for a in tree.xpath(_BREADCRUMB)
               if clean(a.text_content()) == label)
