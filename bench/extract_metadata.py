"""Benchmark article metadata and the article classifier on the Mozilla Readability pages.

    python bench/extract_metadata.py --corpus /work/shared/corpora/readability

Scores newsarchive and trafilatura's metadata on the `news` pages (title, authors, published date,
language) and newsarchive's classifier on `news` + `nonarticle` pages, for all pages and each half
(page names sorted; even positions = "tune", odd = "check": rules are tuned on one, confirmed on the
other). Per-page results go to bench/results/metadata-<extractor>.jsonl.

The reference is Readability.js output, not a human annotation. Where it is plainly wrong (a byline
that is the publisher or a date, a title that keeps the site-name suffix this project must remove, a
language the page does not declare) the corrected value is in REFERENCE_FIXES with the reason, and
the report lists every fix so the numbers can be judged with and without them.
"""

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The corpus pages have no URL of their own; this is what Readability's test suite uses.
PAGE_URL = "http://fakehost/test/page.html"
FIELDS = ("title", "authors", "published_date", "published_instant", "language")

REFERENCE_FIXES: dict[str, dict[str, Any]] = {
    "breitbart": {
        "title": "'Neutral' Snopes Fact-Checker David Emery: 'Are There Any Un-Angry Trump Supporters?'",
        "authors": ["Lucas Nolan"],
        "why": "title keeps the ' - Breitbart' site suffix; byline has the date and comment count glued on",
    },
    "guardian-1": {
        "title": "'What is the sea telling us?': Māori tribes fearful over whale strandings",
        "why": "title keeps the '| Eleanor Ainge Roy' author suffix of <title>; og:title and h1 do not",
    },
    "gmw": {"title": "宇航员在太空中喝酒会怎么样？后果很严重", "language": "zh", "why": "title keeps '_section_site'"},
    "qq": {
        "title": "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶",
        "language": "zh",
        "why": "title keeps '_section_site'",
    },
    "youth": {
        "title": "海外留学生看两会：出国前后关注点大不同",
        "authors": ["崔宁宁"],
        "language": "zh",
        "why": "title keeps '_section_site'; the author meta glues the desk name 青网校园 to the person",
    },
    "yahoo-4": {
        "title": "トレンドマイクロ、公衆無線LANを安全に使うためのアプリ「フリーWi-Fiプロテクション」（CNET Japan）",
        "authors": [],
        "why": "title keeps ' - Yahoo!ニュース'; byline '個人' ('individual') is a navigation label",
    },
    "bbc-1": {"authors": [], "why": "byline 'BBC News' is the publisher, not a person"},
    "heise": {"authors": [], "why": "byline 'Mac & i' is the magazine, not a person"},
    "herald-sun-1": {
        "authors": ["Laurie Oakes"],
        "why": "the article's byline and article:author say Laurie Oakes; Joe Hildebrand is a sidebar column",
    },
    "seattletimes-1": {"authors": ["Benjamin Romano"], "why": "byline holds the dates; itemprop=author names him"},
    "webmd-1": {"authors": ["Brenda Goodman"], "why": "byline adds the credential 'MA' and 'WebMD Health News'"},
    "webmd-2": {"authors": ["Kelli Miller"], "why": "byline adds 'WebMD Health News'"},
    "yahoo-3": {"authors": ["Gillian Mohney"], "why": "byline has the date glued on"},
    "buzzfeed-1": {"authors": ["Mark Di Stefano"], "why": "reference found no byline; the author meta names him"},
    "wordpress": {"authors": ["Sarah Gooding"], "why": "reference found no byline; itemprop=author names her"},
    "simplyfound-1": {"authors": ["Joe Wee"], "why": "reference put the byline into siteName ('BY: JOE WEE')"},
    "bug-1255978": {"language": "en", "why": "no declared language in the reference; English text"},
    "cnn": {"language": "en", "why": "no declared language in the reference; English text"},
    "la-nacion": {"language": "es", "why": "no declared language in the reference; Spanish text"},
    "salon-1": {"language": "en", "why": "no declared language in the reference; English text"},
    "tmz-1": {"language": "en", "why": "no declared language in the reference; English text"},
    "videos-1": {"language": "en", "why": "no declared language in the reference; English text"},
    "wapo-1": {"language": "en", "why": "no declared language in the reference; English text"},
    "wapo-2": {"language": "en", "why": "no declared language in the reference; English text"},
}


@dataclass
class Page:
    name: str
    category: str
    html: str
    expected: dict[str, Any]
    fixed: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- normalisation of both sides


def norm_title(text: str | None) -> str:
    """Case, whitespace and typographic-quote insensitive."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "«": '"', "»": '"'}))
    return " ".join(text.split()).casefold()


def name_key(name: str) -> str:
    return re.sub(r"\W", "", unicodedata.normalize("NFKC", name)).casefold()


def reference_authors(byline: str | None) -> list[str]:
    """Readability's byline string split the plain way: 'By', 'Par' removed, split on , & and et avec."""
    if not byline:
        return []
    text = re.sub(r"^\s*(?:by|par|por|von)\s+", "", byline.strip(), flags=re.IGNORECASE)
    text = re.sub(r"[()]", " ", text)  # "Bruno (Henrique) Rodrigues" is one name; "(avec X)" splits on avec
    parts = re.split(r"\s*(?:,|&|\band\b|\bet\b|\bavec\b)\s*", text)
    return [" ".join(p.split()) for p in parts if p.strip()]


def same_authors(predicted: list[str], expected: list[str]) -> bool:
    return {name_key(n) for n in predicted} == {name_key(n) for n in expected}


def parse_moment(value: str | None) -> datetime | None:
    if not value:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip().replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def same_language(predicted: str | None, expected: str | None) -> bool:
    """Primary subtags equal, and regions equal when both give one (`en` matches `en-US`)."""
    if not predicted or not expected:
        return False
    p, e = predicted.lower().replace("_", "-").split("-"), expected.lower().replace("_", "-").split("-")
    return p[0] == e[0] and (len(p) == 1 or len(e) == 1 or p[1] == e[1])


# ---------------------------------------------------------------- extractors


def newsarchive(html: str) -> dict[str, Any]:
    from pipelines.extract.article import extract_article
    from pipelines.extract.classify import classify_page
    from pipelines.extract.document import parse_html

    record = extract_article(html, PAGE_URL)
    document = parse_html(html)
    is_article, signals = classify_page(document, PAGE_URL) if document is not None else (False, [])
    return {
        "title": record["title"],
        "authors": record["authors"],
        "published_at": record["published_at"],
        "date_source": record["date_source"],
        "language": record["language"],
        "is_article": is_article,
        "article_signals": signals,
    }


def trafilatura_metadata(html: str) -> dict[str, Any]:
    import trafilatura

    # htmldate (trafilatura's date module) gives a time too when asked; its default is the date only
    date_config = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}
    metadata = trafilatura.extract_metadata(html, default_url=PAGE_URL, date_config=date_config)
    if metadata is None:
        return {"title": None, "authors": [], "published_at": None}
    # trafilatura's metadata has no language (it only filters by a target language): scored n/a
    return {
        "title": metadata.title,
        "authors": [a.strip() for a in (metadata.author or "").split(";") if a.strip()],
        "published_at": metadata.date,
    }


# ---------------------------------------------------------------- scoring


def expected_value(page: Page, key: str, *, corrected: bool = True) -> Any:
    if corrected and key in page.fixed:
        return page.fixed[key]
    if key == "authors":
        return reference_authors(page.expected.get("byline"))
    return {"title": page.expected.get("title"), "language": page.expected.get("lang")}.get(key)


def score(page: Page, predicted: dict[str, Any], *, corrected: bool = True) -> dict[str, bool | None]:
    """Per field: True/False, or None when the reference has nothing to compare against."""
    expected_date = parse_moment(page.expected.get("publishedTime"))
    predicted_date = parse_moment(predicted.get("published_at"))
    language = expected_value(page, "language", corrected=corrected)
    title = expected_value(page, "title", corrected=corrected)
    authors = expected_value(page, "authors", corrected=corrected)
    result: dict[str, bool | None] = {
        "title": norm_title(predicted.get("title")) == norm_title(title),
        "authors": same_authors(predicted.get("authors") or [], authors),
        "published_date": None,
        "published_instant": None,
        "language": None,
    }
    if language and "language" in predicted:
        result["language"] = same_language(predicted["language"], language)
    if expected_date is not None:
        result["published_date"] = same_day(predicted_date, expected_date)
        # sub-second precision is not a publication time anyone relies on
        result["published_instant"] = (
            predicted_date is not None and abs((predicted_date - expected_date).total_seconds()) < 1
        )
    return result


def same_day(predicted: datetime | None, expected: datetime) -> bool:
    """The publication day where the publisher is (the reference's offset)."""
    return predicted is not None and predicted.astimezone(expected.tzinfo).date() == expected.date()


def summarize(rows: list[dict[str, Any]], key: str, *, scores: str = "score") -> str:
    values = [r[scores][key] for r in rows if r[scores][key] is not None]
    if not values:
        return "   n/a     "
    return f"{sum(values) / len(values):6.3f} ({sum(values):2d}/{len(values):2d})"


def load_pages(corpus: Path) -> list[Page]:
    pages = []
    with (corpus / "categories.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["category"] not in ("news", "nonarticle"):
                continue
            folder = corpus / "pages" / row["page"]
            pages.append(
                Page(
                    name=row["page"],
                    category=row["category"],
                    # the corpus stores UTF-8 regardless of the <meta charset> the page still carries
                    html=(folder / "source.html").read_text(encoding="utf-8"),
                    expected=json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8")),
                    fixed=REFERENCE_FIXES.get(row["page"], {}),
                )
            )
    return sorted(pages, key=lambda p: p.name)


def halves(pages: list[Page]) -> dict[str, set[str]]:
    names = [p.name for p in pages]
    return {"all": set(names), "tune": set(names[0::2]), "check": set(names[1::2])}


def run(extractor: Callable[[str], dict[str, Any]], pages: list[Page]) -> list[dict[str, Any]]:
    rows = []
    for page in pages:
        predicted = extractor(page.html)
        rows.append(
            {
                "page": page.name,
                "predicted": predicted,
                "score": score(page, predicted),
                "score_uncorrected": score(page, predicted, corrected=False),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="path to the readability corpus")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    pages = load_pages(args.corpus)
    news = [p for p in pages if p.category == "news"]
    split = halves(news)
    args.results.mkdir(parents=True, exist_ok=True)

    print(f"{len(news)} news pages (tune {len(split['tune'])}, check {len(split['check'])});", end=" ")
    print(f"{len(REFERENCE_FIXES)} reference corrections (listed below)\n")
    for name, extractor in (("newsarchive", newsarchive), ("trafilatura", trafilatura_metadata)):
        rows = run(extractor, news)
        with (args.results / f"metadata-{name}.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        print(f"{name}")
        print(f"  {'':8}" + "".join(f"{f:>20}" for f in FIELDS))
        for half, members in split.items():
            subset = [r for r in rows if r["page"] in members]
            print(f"  {half:8}" + "".join(f"{summarize(subset, f):>20}" for f in FIELDS))
        raw = "".join(f"{summarize(rows, f, scores='score_uncorrected'):>20}" for f in FIELDS)
        print(f"  {'all, uncorrected reference':28}\n  {'':8}{raw}")
        misses = {f: [r["page"] for r in rows if r["score"][f] is False] for f in FIELDS}
        for f, missed in misses.items():
            if missed:
                print(f"    missed {f}: {', '.join(missed)}")
        print()

    print("classifier (newsarchive): news must say yes, nonarticle must say no")
    wrong = []
    for page in pages:
        verdict = newsarchive(page.html)
        if verdict["is_article"] != (page.category == "news"):
            wrong.append(f"{page.name} ({page.category}: {verdict['article_signals']})")
    print(f"  correct {len(pages) - len(wrong)}/{len(pages)}" + (f"; wrong: {'; '.join(wrong)}" if wrong else ""))

    print("\nreference corrections (Readability.js output judged wrong):")
    for name, fix in sorted(REFERENCE_FIXES.items()):
        print(f"  {name}: {fix['why']}")


if __name__ == "__main__":
    main()
