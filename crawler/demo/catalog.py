"""What the demo site serves: the bundled real pages and the URL scheme built on them.

Pure data, no HTTP: the server routes with it, the renderer lists it, tests read expected titles
from it. `copies` multiplies every article under distinct URLs for the crawl benchmark without
multiplying memory (copies share the page bytes).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

SECTIONS: tuple[str, ...] = ("world", "business", "technology")
SECTION_PAGE_SIZE = 50  # links per section listing page
REDIRECT_BASE_ID = 10001  # /story/<id> is the legacy URL of article number id - REDIRECT_BASE_ID
MISSING_ARTICLE_PATH = "/world/2024/05/17/this-story-was-removed"
ARTICLE_PATTERN = r"/(?:" + "|".join(SECTIONS) + r")/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$"


@dataclass(frozen=True)
class BundledPage:
    """One real page shipped in crawler/demo/site/pages, with its metadata from articles.json."""

    slug: str
    section: str
    published: str  # RFC 3339, UTC
    title: str
    byline: str | None
    language: str | None
    charset: str
    body: bytes  # the original HTML bytes, unchanged
    body_gzip: bytes  # the same bytes gzip-compressed, served as-is to clients that accept gzip


@dataclass(frozen=True)
class DemoArticle:
    """An article URL the demo site serves, with what a correct extraction should find (for tests)."""

    url: str
    title: str
    section: str
    published: str
    byline: str | None
    language: str | None


@dataclass(frozen=True)
class ServedArticle:
    """A page at one URL path; copy 1 is the canonical URL, later copies get a `-c<n>` suffix."""

    path: str
    page: BundledPage
    copy: int

    @property
    def etag(self) -> str:
        """Strong validator for the identity body; differs per copy, as it would per URL on a real CMS."""
        digest = hashlib.sha1(self.page.body + self.path.encode(), usedforsecurity=False).hexdigest()
        return f'"{digest[:20]}"'


@cache
def bundled_pages() -> tuple[BundledPage, ...]:
    """Load the bundled pages once per process, newest first (the order of articles.json)."""
    site = resources.files("crawler.demo") / "site"
    entries = json.loads((site / "articles.json").read_text(encoding="utf-8"))
    pages = []
    for entry in entries:
        compressed = (site / "pages" / f"{entry['slug']}.html.gz").read_bytes()
        pages.append(
            BundledPage(
                slug=entry["slug"],
                section=entry["section"],
                published=entry["published"],
                title=entry["title"],
                byline=entry["byline"],
                language=entry["language"],
                charset=entry["charset"],
                body=gzip.decompress(compressed),
                body_gzip=compressed,
            )
        )
    return tuple(pages)


def article_path(page: BundledPage, copy: int = 1) -> str:
    """Dated news URL path, e.g. /world/2019/11/19/sweden-drops-assange-rape-investigation-c2."""
    year, month, day = page.published[:10].split("-")
    suffix = f"-c{copy}" if copy > 1 else ""
    return f"/{page.section}/{year}/{month}/{day}/{page.slug}{suffix}"


class Catalog:
    """Every article URL of a demo site instance, indexed for routing and listing."""

    def __init__(self, copies: int = 1) -> None:
        if copies < 1:
            raise ValueError(f"copies must be >= 1, got {copies}")
        pages = bundled_pages()
        self.originals: list[ServedArticle] = [ServedArticle(article_path(p), p, 1) for p in pages]
        # Copy-major order: listing page 1 of each section shows the original stories first.
        self.articles: list[ServedArticle] = [
            ServedArticle(article_path(p, copy), p, copy) for copy in range(1, copies + 1) for p in pages
        ]
        self.by_path: dict[str, ServedArticle] = {a.path: a for a in self.articles}
        self.by_section: dict[str, list[ServedArticle]] = {
            s: [a for a in self.articles if a.page.section == s] for s in SECTIONS
        }

    def section_page_count(self, section: str) -> int:
        """Number of listing pages of a section (at least 1)."""
        return max(1, -(-len(self.by_section[section]) // SECTION_PAGE_SIZE))

    def redirect_target(self, story_id: int) -> ServedArticle | None:
        """The article a legacy /story/<id> URL moved to, if any."""
        index = story_id - REDIRECT_BASE_ID
        return self.originals[index] if 0 <= index < len(self.originals) else None


def demo_articles_at(base_url: str) -> list[DemoArticle]:
    """The canonical (copy 1) article URLs under base_url, newest first."""
    base = base_url.rstrip("/")
    return [
        DemoArticle(
            url=base + a.path,
            title=a.page.title,
            section=a.page.section,
            published=a.page.published,
            byline=a.page.byline,
            language=a.page.language,
        )
        for a in Catalog().originals
    ]
