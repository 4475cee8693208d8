"""The generated parts of the demo site: homepage, section listings, robots.txt, news sitemap, RSS feed.

`base` is the site's origin as the client addressed it (e.g. "http://127.0.0.1:54321"), so absolute
URLs in robots.txt, the sitemap and the feed always point back at the running server.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from html import escape

from crawler.demo.catalog import (
    MISSING_ARTICLE_PATH,
    REDIRECT_BASE_ID,
    SECTION_PAGE_SIZE,
    SECTIONS,
    Catalog,
    ServedArticle,
)

SITE_NAME = "Demo News"
HOMEPAGE_LATEST = 12
FEED_ITEMS = 50


def _layout(title: str, canonical: str, body: str) -> str:
    """Shared page chrome of the listing pages (not articles: og:type website, little text)."""
    nav = " ".join(f'<a href="/{s}/">{s.title()}</a>' for s in SECTIONS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:type" content="website">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:title" content="{escape(title)}">
<link rel="canonical" href="{escape(canonical)}">
<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="/feed.xml">
</head>
<body>
<header><a href="/" class="logo">{SITE_NAME}</a>
<nav>{nav}</nav></header>
<main>
{body}
</main>
<footer><a href="/feed.xml">RSS</a> · <a href="/sitemap.xml">Sitemap</a>
 · <a href="/private/drafts/">Staff drafts</a></footer>
</body>
</html>
"""


def _teaser(article: ServedArticle) -> str:
    """One listing entry: headline link and publication time."""
    page = article.page
    return (
        f'<li><a href="{article.path}">{escape(page.title)}</a> '
        f'<time datetime="{page.published}">{page.published[:10]}</time></li>'
    )


def homepage(base: str, catalog: Catalog) -> str:
    """Front page: latest stories plus the special links the tests rely on (redirect, 404, private)."""
    latest = "\n".join(_teaser(a) for a in catalog.originals[:HOMEPAGE_LATEST])
    most_read = catalog.originals[0].page.title
    body = f"""<h1>Latest news</h1>
<ul class="latest">
{latest}
</ul>
<section class="most-read"><h2>Most read</h2>
<ul>
<li><a href="/story/{REDIRECT_BASE_ID}">{escape(most_read)}</a></li>
<li><a href="{MISSING_ARTICLE_PATH}">This story was removed</a></li>
</ul>
</section>"""
    return _layout(f"{SITE_NAME} — latest headlines", f"{base}/", body)


def section_path(section: str, page_number: int) -> str:
    """URL path of a section listing page; page 1 is the section front."""
    return f"/{section}/" if page_number == 1 else f"/{section}/page/{page_number}/"


def section_page(base: str, catalog: Catalog, section: str, page_number: int) -> str | None:
    """A section listing page, or None past the last page. Links every page number so the whole
    archive stays within a shallow crawl depth even with thousands of copies."""
    count = catalog.section_page_count(section)
    if not 1 <= page_number <= count:
        return None
    start = (page_number - 1) * SECTION_PAGE_SIZE
    items = "\n".join(_teaser(a) for a in catalog.by_section[section][start : start + SECTION_PAGE_SIZE])
    pager = " ".join(
        f'<a href="{section_path(section, n)}">{n}</a>' if n != page_number else f"<b>{n}</b>"
        for n in range(1, count + 1)
    )
    body = f"""<h1>{section.title()}</h1>
<ul class="stories">
{items}
</ul>
<nav class="pagination">{pager}</nav>"""
    title = f"{section.title()} — {SITE_NAME}" + (f" — page {page_number}" if page_number > 1 else "")
    return _layout(title, base + section_path(section, page_number), body)


def private_page() -> str:
    """Behind robots.txt Disallow: a polite crawler never sees this."""
    return (
        "<!DOCTYPE html>\n<html><head><title>Staff drafts</title></head><body>Not for crawlers.</body></html>"
    )


def not_found_page() -> str:
    """Small 404 body: broken links inside the real pages must cost the crawler next to nothing."""
    return "<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>Not found.</body></html>\n"


def robots_txt(base: str) -> str:
    """robots.txt: one disallowed area and the sitemap location."""
    return f"User-agent: *\nDisallow: /private/\n\nSitemap: {base}/sitemap.xml\n"


def news_sitemap(base: str, catalog: Catalog) -> str:
    """Google News sitemap of every served article (copies included)."""
    urls = []
    for article in catalog.articles:
        page = article.page
        language = (page.language or "en").split("-")[0].lower()
        urls.append(
            f"""<url><loc>{escape(base + article.path)}</loc><news:news>
<news:publication><news:name>{SITE_NAME}</news:name><news:language>{language}</news:language></news:publication>
<news:publication_date>{page.published}</news:publication_date>
<news:title>{escape(page.title)}</news:title>
</news:news></url>"""
        )
    joined = "\n".join(urls)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{joined}
</urlset>
"""


def rss_feed(base: str, catalog: Catalog) -> str:
    """RSS 2.0 feed of the newest articles, with RFC 822 pubDates as real feeds have."""
    items = []
    for article in catalog.articles[:FEED_ITEMS]:
        page = article.page
        published = datetime.fromisoformat(page.published.replace("Z", "+00:00"))
        link = escape(base + article.path)
        items.append(
            f"""<item><title>{escape(page.title)}</title><link>{link}</link>
<guid isPermaLink="true">{link}</guid><pubDate>{format_datetime(published, usegmt=True)}</pubDate>
<category>{page.section}</category></item>"""
        )
    joined = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{SITE_NAME}</title>
<link>{base}/</link>
<description>Latest stories from {SITE_NAME}</description>
<language>en</language>
<atom:link href="{base}/feed.xml" rel="self" type="application/rss+xml"/>
{joined}
</channel>
</rss>
"""
