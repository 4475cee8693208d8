"""Select real news pages from the shared corpora and copy them into the demo site package.

Run once by a developer; its output (crawler/demo/site/) is committed, so the package never needs
the corpora at run time. The page list is fixed here so the demo site is reproducible and reviewed.

    .venv/bin/python tools/build_demo_site.py --corpus /work/shared/corpora
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import htmldate

SITE_DIR = Path(__file__).resolve().parent.parent / "crawler" / "demo" / "site"

# (corpus page name, section). Mozilla "news" pages with a title and a byline in expected-metadata.
READABILITY_PAGES: list[tuple[str, str]] = [
    ("bbc-1", "world"),
    ("nytimes-1", "world"),
    ("wapo-1", "world"),
    ("lemonde-1", "world"),
    ("schema-org-context-object", "world"),
    ("herald-sun-1", "world"),
    ("nytimes-2", "business"),
    ("nytimes-4", "business"),
    ("cnn", "business"),
    ("bug-1255978", "business"),
    ("ars-1", "technology"),
    ("cnet", "technology"),
    ("theverge", "technology"),
    ("engadget", "technology"),
]
# (AEB page id prefix, section). English news pages; their title comes from og:title.
AEB_PAGES: list[tuple[str, str]] = [
    ("c7e39ac49f", "world"),
    ("5a822960e9", "world"),
    ("702d1da63b", "business"),
]


def slugify(text: str, max_words: int = 9) -> str:
    """ASCII, lowercase, hyphenated: the form real news CMSes use in article URLs."""
    text = re.sub(r"['’]", "", text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words[:max_words])


def charset_of(html: bytes) -> str:
    """The charset the page declares (servers echo it in Content-Type); utf-8 when none is declared."""
    match = re.search(rb"charset=[\"']?([A-Za-z0-9_-]+)", html[:4096], re.I)
    return match.group(1).decode().lower() if match else "utf-8"


def meta_content(html: str, prop: str) -> str | None:
    """Content of a <meta property|name=prop> tag in either attribute order."""
    for pattern in (
        rf"<meta[^>]+(?:property|name)=[\"']{re.escape(prop)}[\"'][^>]*content=[\"']([^\"']+)",
        rf"<meta[^>]+content=[\"']([^\"']+)[\"'][^>]*(?:property|name)=[\"']{re.escape(prop)}[\"']",
    ):
        match = re.search(pattern, html, re.I)
        if match:
            return match.group(1).strip()
    return None


def published_utc(raw: str | None, html: str) -> str:
    """Publication time as RFC 3339 UTC: metadata, then the page's own markup, then htmldate."""
    candidates = [raw] if raw else []
    candidates += re.findall(
        r"(?:article:published_time|datePublished)[\"']?\s*(?:content=|:)\s*[\"'](\d{4}-\d\d-\d\d[^\"']*)",
        html,
    )
    found = htmldate.find_date(html, original_date=True)
    if found:
        candidates.append(found + "T12:00:00+00:00")
    for value in candidates:
        value = re.sub(r"(\.\d+)", "", value.strip().replace(" ", "T", 1))
        value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value).replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "2020-01-15T12:00:00Z"


def add_page(articles: list[dict], html: bytes, section: str, meta: dict, origin: dict) -> None:
    """Store one page gzip-compressed (deterministic: mtime 0) and append its manifest entry."""
    text = html.decode(charset_of(html), errors="replace")
    slug = slugify(meta["title"])
    date = published_utc(meta.get("publishedTime"), text)
    (SITE_DIR / "pages" / f"{slug}.html.gz").write_bytes(gzip.compress(html, compresslevel=9, mtime=0))
    origin["original_url"] = meta_content(text, "og:url") or origin.get("original_url")
    articles.append(
        {
            "slug": slug,
            "section": section,
            "published": date,
            "title": meta["title"],
            "byline": meta.get("byline"),
            "language": meta.get("lang"),
            "charset": charset_of(html),
            "origin": origin,
        }
    )


def build(corpus: Path) -> list[dict]:
    """Rebuild crawler/demo/site from the corpus; return the manifest entries."""
    if (SITE_DIR / "pages").exists():
        shutil.rmtree(SITE_DIR / "pages")
    (SITE_DIR / "pages").mkdir(parents=True)
    articles: list[dict] = []
    for name, section in READABILITY_PAGES:
        page_dir = corpus / "readability" / "pages" / name
        meta = json.loads((page_dir / "expected-metadata.json").read_text())
        origin = {"corpus": "Mozilla Readability test pages", "licence": "Apache-2.0", "page": name}
        add_page(articles, (page_dir / "source.html").read_bytes(), section, meta, origin)
    truth = json.loads((corpus / "aeb" / "ground-truth.json").read_text())
    for prefix, section in AEB_PAGES:
        (page_id,) = [key for key in truth if key.startswith(prefix)]
        html = gzip.decompress((corpus / "aeb" / "html" / f"{page_id}.html.gz").read_bytes())
        text = html.decode(charset_of(html), errors="replace")
        title = meta_content(text, "og:title")
        if not title:
            raise SystemExit(f"AEB page {page_id} has no og:title")
        meta = {"title": title, "lang": "en"}
        origin = {
            "corpus": "article-extraction-benchmark (Zyte)",
            "licence": "MIT",
            "page": page_id,
            "original_url": truth[page_id]["url"],
        }
        add_page(articles, html, section, meta, origin)
    if len({a["slug"] for a in articles}) != len(articles):
        raise SystemExit("duplicate slugs")
    articles.sort(key=lambda a: a["published"], reverse=True)
    (SITE_DIR / "articles.json").write_text(json.dumps(articles, indent=1, ensure_ascii=False) + "\n")
    shutil.copyfile(corpus / "readability" / "LICENSE.md", SITE_DIR / "LICENSE-readability.md")
    shutil.copyfile(corpus / "aeb" / "LICENSE", SITE_DIR / "LICENSE-aeb")
    write_attribution(articles)
    return articles


def write_attribution(articles: list[dict]) -> None:
    """ATTRIBUTION.md: where every bundled page comes from and under which licence."""
    lines = [
        "# Demo site pages: origin and licences",
        "",
        "The article pages under `pages/` are real web pages, copied byte for byte (stored gzip-compressed)",
        "from two public test corpora. The homepage, section pages, feed and sitemap are generated.",
        "",
        "- Mozilla Readability test pages (https://github.com/mozilla/readability, `test/test-pages/`),",
        "  Apache License 2.0, see `LICENSE-readability.md`.",
        "- article-extraction-benchmark by Zyte/Scrapinghub",
        "  (https://github.com/scrapinghub/article-extraction-benchmark), MIT licence, see `LICENSE-aeb`.",
        "",
        "The pages' contents remain the work of their original publishers.",
        "",
        "| file | corpus | corpus page | licence | original URL |",
        "|---|---|---|---|---|",
    ]
    for a in articles:
        o = a["origin"]
        lines.append(
            f"| pages/{a['slug']}.html.gz | {o['corpus']} | {o['page']} | {o['licence']} "
            f"| {o['original_url'] or 'unknown'} |"
        )
    (SITE_DIR / "ATTRIBUTION.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="path to the shared corpora folder")
    args = parser.parse_args()
    for a in build(args.corpus):
        print(a["published"], a["section"], a["slug"])


if __name__ == "__main__":
    main()
