"""The shared corpora with ground truth, loaded one way for every extraction bench, and their split.

Split rule (one for all benches, fixed so a page never changes side):
- wcxb-dev: even numeric file id = "tune", odd = "heldback";
- aeb and readability: the first byte of sha1(id as UTF-8) even = "tune", odd = "heldback".
Tune rules on the tune half only; the held-back half is reported as an aggregate and never looked at
page by page, so it shows whether a rule generalises.
"""

import argparse
import csv
import gzip
import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import lxml.html

DEFAULT_ROOT = Path("/work/shared/corpora")
CORPORA = ("aeb", "readability", "wcxb-dev")
SPLITS = ("tune", "heldback")
# Mozilla's pages have no URL of their own; this is the one Readability's test suite uses.
READABILITY_URL = "http://fakehost/test/page.html"
# wcxb-dev 4547 has no url (corpus README).
MISSING_URL = "https://unknown.invalid/page"
# Elements after which a browser starts a new line: text_content() alone would glue "Title" and the
# first word of the next paragraph into one token.
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "table", "td", "th", "tr", "ul",
    }
)


@dataclass(frozen=True)
class Reference:
    """Metadata ground truth, raw as the corpus gives it (None: the corpus has no value)."""

    title: str | None = None
    authors: str | None = None  # one string as the corpus writes it; bench/extract_metadata.py splits it
    published: str | None = None  # ISO date or date-time
    language: str | None = None


@dataclass(frozen=True)
class Page:
    corpus: str
    id: str
    url: str
    html: str
    body: str  # reference article text
    reference: Reference = Reference()
    with_snippets: tuple[str, ...] = ()  # wcxb-dev only: must appear in the body
    without_snippets: tuple[str, ...] = ()  # wcxb-dev only: must not

    @property
    def split(self) -> str:
        return split_of(self.corpus, self.id)


def positive(text: str) -> int:
    """argparse type: an integer >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def add_corpus_arguments(parser: argparse.ArgumentParser, choices: tuple[str, ...]) -> None:
    """--corpora, --corpus, --limit and --show-heldback, the same in every extraction bench."""
    parser.add_argument("--corpora", type=Path, default=DEFAULT_ROOT, help=f"folder holding {', '.join(choices)}")
    parser.add_argument("--corpus", choices=choices, action="append", help="only these corpora (repeatable)")
    parser.add_argument("--limit", type=positive, help="first N pages (by id) of each corpus, for quick runs")
    parser.add_argument("--show-heldback", action="store_true", help="also name held-back pages (not while tuning)")


def split_of(corpus: str, page_id: str) -> str:
    """"tune" or "heldback" by the rule in the module docstring."""
    number = int(page_id) if corpus == "wcxb-dev" else hashlib.sha1(page_id.encode("utf-8")).digest()[0]
    return "tune" if number % 2 == 0 else "heldback"


def html_text(fragment: str) -> str:
    """Visible text of an HTML fragment, one line per block element."""
    if not fragment.strip():
        return ""
    root = lxml.html.fromstring(fragment)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return root.text_content()


def load(root: Path, names: Iterable[str] = CORPORA, *, limit: int | None = None) -> dict[str, list[Page]]:
    """Pages of each named corpus sorted by id, the first `limit` of each when given."""
    loaders = {"aeb": load_aeb, "readability": load_readability_news, "wcxb-dev": load_wcxb}
    corpora = {}
    for name in names:
        try:
            corpora[name] = loaders[name](root / name, limit)
        except (OSError, ValueError, KeyError) as error:  # missing folder, broken JSON, missing field
            sys.exit(f"cannot read corpus {root / name} ({error}): give --corpora DIR holding {', '.join(CORPORA)}")
    return corpora


def _gunzip(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")  # both sets are UTF-8


def load_aeb(folder: Path, limit: int | None = None) -> list[Page]:
    """AEB: human-annotated articleBody; no metadata reference."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit]
    return [
        Page("aeb", i, truth[i]["url"], _gunzip(folder / "html" / f"{i}.html.gz"), truth[i]["articleBody"])
        for i in ids
    ]


def load_readability_news(folder: Path, limit: int | None = None, *, category: str = "news") -> list[Page]:
    """Mozilla's `news` pages (or another category): the body reference is Readability.js output, the
    metadata its metadata."""
    with (folder / "categories.csv").open(encoding="utf-8") as handle:
        names = sorted(row["page"] for row in csv.DictReader(handle) if row["category"] == category)[:limit]
    pages = []
    for name in names:
        page = folder / "pages" / name
        meta = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))
        reference = Reference(meta.get("title"), meta.get("byline"), meta.get("publishedTime"), meta.get("lang"))
        pages.append(
            Page(
                "readability",
                name,
                READABILITY_URL,
                # the corpus stores UTF-8 whatever <meta charset> the page still declares
                (page / "source.html").read_text(encoding="utf-8", errors="replace"),
                html_text((page / "expected.html").read_text(encoding="utf-8")),
                reference,
            )
        )
    return pages


def load_wcxb(folder: Path, limit: int | None = None) -> list[Page]:
    """wcxb-dev article pages: LLM-drafted, human-reviewed text, metadata and snippets."""
    pages = []
    for path in sorted((folder / "ground-truth").glob("*.json"))[:limit]:
        data = json.loads(path.read_text(encoding="utf-8"))
        truth = data["ground_truth"]
        reference = Reference(truth.get("title"), truth.get("author"), truth.get("publish_date"))
        pages.append(
            Page(
                "wcxb-dev",
                path.stem,
                data.get("url") or MISSING_URL,
                _gunzip(folder / "html" / f"{path.stem}.html.gz"),
                truth.get("main_content") or "",
                reference,
                tuple(truth.get("with") or ()),
                tuple(truth.get("without") or ()),
            )
        )
    return pages
