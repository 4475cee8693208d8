"""Article metadata on the shared corpora: newsarchive vs trafilatura, against the raw reference.

    python bench/extract_metadata.py                       # readability news pages and wcxb-dev
    python bench/extract_metadata.py --corpus readability --list-misses
    python bench/extract_metadata.py --json /work/notes/extract_baseline.json

newsarchive is the public `extract_article(html, url)`; trafilatura is
`bare_extraction(html, url=url, with_metadata=True, favor_precision=True, include_comments=False)`.
Scored per corpus and split (tune / heldback, see bench/corpora.py), against the corpus reference as
it is: Mozilla's expected-metadata.json (title, byline, publishedTime, lang of Readability.js) and
wcxb-dev's ground truth (title, author, publish_date).

Matching rules:
- title: equal after Unicode NFKC, typographic quotes made straight and runs of whitespace made one
  space. Case counts. Scored where the reference has a title.
- authors: compared as sets of names. A reference string is split on , ; & | / and the words
  and / et / und / avec, after a leading "By" / "Par" / "Por" / "Von"; a part after the first that is
  only post-nominal letters (all-capital abbreviations such as MD, RD, FAND, CEPF®, E-RYT 200, or
  PhD, MSc, Jr) is a credential of the name before it and is dropped (the count of reference values
  this changed is printed; an all-capital second name would be dropped too, none is in these corpora).
  A name's key is its letters and digits only, casefolded, accents removed (NFKD without combining
  marks), so "José Müller" = "jose muller" and "Mary-Jane" = "Mary Jane".
  * exact: the predicted set of keys equals the reference set, on every page; a page without a
    reference author expects none. Also shown: the same only on pages whose reference names someone.
  * soft F1: per page, predicted and reference names are paired one to one when the words of one are
    all among the words of the other ("Dr Marna van der Merwe" ~ "Marna van der Merwe"); F1 of that
    pairing (1 when both are empty, 0 when only one is), averaged over pages.
- published date: the same calendar day as the reference, scored where the reference has a date.
  When both sides carry a time with a UTC offset, the day is taken in the reference's offset; when
  either is a bare date (or a time without offset) the calendar dates as written are compared.
- language (Mozilla only, where `lang` is given): primary subtags equal and regions equal when both
  give one (`en` matches `en-US`). trafilatura reports no language: n/a.

The Mozilla reference is Readability.js output, not a human annotation. Where it is plainly wrong,
REFERENCE_FIXES holds a corrected value with the reason. Scores against the corrected reference are
printed as a second, separately labelled figure; the raw-reference figure is the one that counts.
The Mozilla `nonarticle` pages also check the article classifier (`newsarchive extract`'s record).
Held-back pages are never named unless --show-heldback is given.
"""

import argparse
import json
import logging
import multiprocessing
import re
import signal
import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from statistics import mean
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpora import SPLITS, Page, add_corpus_arguments, load, load_readability_news, positive  # noqa: E402
from bench.results_json import add_output_arguments, read_document, write_section  # noqa: E402

METADATA_CORPORA = ("readability", "wcxb-dev")
EXTRACTORS = ("newsarchive", "trafilatura")
FIELDS = ("title", "authors", "authors_named", "authors_soft", "date", "language")

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

# ---------------------------------------------------------------- matching rules (module docstring)

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'"})
_BYLINE_PREFIX = re.compile(r"^\s*(?:by|par|por|von)\b\s*:?\s*", re.IGNORECASE)
_NAME_SEPARATOR = re.compile(r"\s*(?:[,;&|/]|\b(?:and|et|und|avec)\b)\s*", re.IGNORECASE)
_MIXED_CASE_POSTNOMINALS = frozenset({"phd", "msc", "bsc", "med", "edd", "pharmd", "drph", "mbbs", "jr", "sr", "esq"})
_HAS_TIME = re.compile(r"\d[T ]\d")


def norm_title(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())


def name_words(name: str) -> list[str]:
    """Casefolded words of a name without accents."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return re.findall(r"\w+", stripped.casefold())


def name_key(name: str) -> str:
    return "".join(name_words(name))


def _is_postnominal(part: str) -> bool:
    words = [w for w in (re.sub(r"[\W\d_]", "", word) for word in part.split()) if w]
    return bool(words) and all(
        (w.isupper() and 2 <= len(w) <= 6) or w.casefold() in _MIXED_CASE_POSTNOMINALS for w in words
    )


def split_byline(value: str | None) -> tuple[list[str], int]:
    """A reference byline as names, and how many credential parts were dropped."""
    if not value or not value.strip():
        return [], 0
    parts = _NAME_SEPARATOR.split(_BYLINE_PREFIX.sub("", value.strip()))
    parts = [" ".join(p.replace("(", " ").replace(")", " ").split()) for p in parts]
    parts = [p for p in parts if p]
    names = [p for i, p in enumerate(parts) if not (i and _is_postnominal(p))]
    return names, len(parts) - len(names)


def reference_names(value: str | list[str] | None) -> list[str]:
    """A reference byline as a list of names (a list, from REFERENCE_FIXES, is taken as it is)."""
    return value if isinstance(value, list) else split_byline(value)[0]


def authors_exact(predicted: list[str], expected: list[str]) -> bool:
    return {name_key(n) for n in predicted} - {""} == {name_key(n) for n in expected} - {""}


def authors_soft_f1(predicted: list[str], expected: list[str]) -> float:
    """F1 of a one-to-one pairing of names whose words are contained one in the other."""
    ours = [set(name_words(n)) for n in dict.fromkeys(predicted)]
    theirs = [set(name_words(n)) for n in dict.fromkeys(expected)]
    ours, theirs = [w for w in ours if w], [w for w in theirs if w]
    if not ours or not theirs:
        return 1.0 if not ours and not theirs else 0.0
    unpaired, paired = list(theirs), 0
    for words in ours:
        match = next((t for t in unpaired if words <= t or t <= words), None)
        if match is not None:
            unpaired.remove(match)
            paired += 1
    precision, recall = paired / len(ours), paired / len(theirs)
    return 2 * precision * recall / (precision + recall) if paired else 0.0


def _moment(value: str | None) -> tuple[datetime, bool] | None:
    """The parsed value and whether it carries a time with a UTC offset."""
    if not value:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip().replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment, bool(_HAS_TIME.search(text)) and moment.tzinfo is not None


def same_day(predicted: str | None, expected: str) -> bool:
    ours, theirs = _moment(predicted), _moment(expected)
    if ours is None or theirs is None:
        return False
    (p, p_aware), (e, e_aware) = ours, theirs
    if p_aware and e_aware:
        return p.astimezone(e.tzinfo).date() == e.date()
    return p.date() == e.date()


def same_language(predicted: str | None, expected: str) -> bool:
    if not predicted:
        return False
    p, e = (v.lower().replace("_", "-").split("-") for v in (predicted, expected))
    return p[0] == e[0] and (len(p) == 1 or len(e) == 1 or p[1] == e[1])


# ---------------------------------------------------------------- extraction (in worker processes)


def newsarchive(page: Page) -> dict[str, Any]:
    from pipelines.extract import extract_article

    record = extract_article(page.html, page.url)
    return {k: record[k] for k in ("title", "authors", "published_at", "language")}


def trafilatura_metadata(page: Page) -> dict[str, Any]:
    import trafilatura

    document = trafilatura.bare_extraction(
        page.html, url=page.url, with_metadata=True, favor_precision=True, include_comments=False
    )
    if document is None:
        return {"title": None, "authors": [], "published_at": None, "language": None}
    # trafilatura joins several authors with "; "
    authors = [a.strip() for a in (document.author or "").split(";") if a.strip()]
    return {"title": document.title, "authors": authors, "published_at": document.date, "language": None}


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: one line, no tracebacks
    logging.basicConfig(level=logging.ERROR)
    from pipelines.extract import warm_up

    warm_up()


def extract_both(page: Page) -> dict[str, Any]:
    return {"newsarchive": newsarchive(page), "trafilatura": trafilatura_metadata(page)}


# ---------------------------------------------------------------- scoring


def reference_of(page: Page, *, corrected: bool) -> dict[str, Any]:
    raw = page.reference
    reference = {"title": raw.title, "authors": raw.authors, "date": raw.published, "language": raw.language}
    if corrected:
        reference.update({k: v for k, v in REFERENCE_FIXES.get(page.id, {}).items() if k != "why"})
    reference["authors"] = reference_names(reference["authors"])
    return reference


def score(predicted: dict[str, Any], reference: dict[str, Any], *, has_language: bool) -> dict[str, Any]:
    """Per field True/False (soft authors: a number), None where the reference gives nothing to compare."""
    authors = predicted.get("authors") or []
    expected = reference["authors"]
    return {
        "title": norm_title(predicted.get("title") or "") == norm_title(reference["title"])
        if reference["title"]
        else None,
        "authors": authors_exact(authors, expected),
        "authors_named": authors_exact(authors, expected) if expected else None,
        "authors_soft": round(authors_soft_f1(authors, expected), 4),
        "date": same_day(predicted.get("published_at"), reference["date"]) if reference["date"] else None,
        "language": same_language(predicted.get("language"), reference["language"])
        if reference["language"] and has_language
        else None,
    }


def summarize(rows: list[dict[str, Any]], extractor: str, scores: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in FIELDS:
        values = [r[scores][extractor][field] for r in rows if r[scores][extractor][field] is not None]
        out[field] = {"score": round(mean(values), 4) if values else None, "n": len(values)}
        if field != "authors_soft":
            out[field]["hits"] = sum(values)
    return out


def corpus_report(pages: list[Page], extracted: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict]]:
    rows = []
    for page, predicted in zip(pages, extracted, strict=True):
        row = {"id": page.id, "split": page.split, "predicted": predicted}
        for key, corrected in (("raw", False), ("corrected", True)):
            reference = reference_of(page, corrected=corrected)
            row[f"reference_{key}"] = reference
            row[key] = {name: score(predicted[name], reference, has_language=name == "newsarchive")
                        for name in EXTRACTORS}
        rows.append(row)
    subsets = {"all": rows, **{split: [r for r in rows if r["split"] == split] for split in SPLITS}}
    report: dict[str, Any] = {"pages": {s: len(members) for s, members in subsets.items()}}
    for key in ("raw", "corrected"):
        report[key] = {s: {n: summarize(members, n, key) for n in EXTRACTORS} for s, members in subsets.items()}
    report["credentials_dropped"] = sum(split_byline(p.reference.authors)[1] > 0 for p in pages)
    return report, rows


# ---------------------------------------------------------------- output


def _cell(figure: dict[str, Any]) -> str:
    if figure["score"] is None:
        return f"{'-':>15}"
    counts = f"{figure['hits']}/{figure['n']}" if "hits" in figure else f"n={figure['n']}"
    return f"{figure['score']:6.3f} {counts:>8}"


def print_table(figures: dict[str, Any]) -> None:
    labels = {"title": "title", "authors": "authors", "authors_named": "authors(named)",
              "authors_soft": "authors softF1", "date": "date", "language": "language"}
    print(f"  {'split':<9}{'extractor':<13}" + "".join(f"{labels[f]:>16}" for f in FIELDS))
    for subset, by in figures.items():
        for name, fields in by.items():
            print(f"  {subset:<9}{name:<13}" + "".join(f" {_cell(fields[f])}" for f in FIELDS))


def print_misses(rows: list[dict[str, Any]], show_heldback: bool) -> None:
    """newsarchive's misses against the raw reference, page by page (tune half unless --show-heldback)."""
    shown = {"title": "title", "authors": "authors", "date": "published_at", "language": "language"}
    for row in rows:
        if row["split"] != "tune" and not show_heldback:
            continue
        for field, key in shown.items():
            if row["raw"]["newsarchive"][field] is False:
                ours, theirs = row["predicted"]["newsarchive"][key], row["reference_raw"][field]
                print(f"    {row['split']:<8} {row['id']:<24} {field:<8} ours {ours!r} | reference {theirs!r}")


def classifier_check(root: Path, show_heldback: bool) -> dict[str, Any]:
    """newsarchive's article classifier: Mozilla `news` pages must be articles, `nonarticle` pages not.

    It runs through `newsarchive extract`'s record view, the public way to ask for the verdict."""
    from pipelines.records.build import standalone_record
    wrong, wrong_heldback, total = [], 0, 0
    for category in ("news", "nonarticle"):
        for page in load_readability_news(root / "readability", category=category):
            record = standalone_record(page.html.encode("utf-8"), page.url)
            total += 1
            if record["is_article"] == (category == "news"):
                continue
            if page.split == "tune" or show_heldback:
                wrong.append(f"{page.id} ({page.split}, {category}: {record['article_signals']})")
            else:
                wrong_heldback += 1
    return {"correct": total - len(wrong) - wrong_heldback, "pages": total, "wrong": wrong,
            "wrong_heldback_unnamed": wrong_heldback}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_arguments(parser, METADATA_CORPORA)
    add_output_arguments(parser, "metadata")
    parser.add_argument("--workers", type=positive, default=2, help="worker processes (default 2)")
    parser.add_argument("--list-misses", action="store_true", help="newsarchive's misses on the tune half")
    args = parser.parse_args()
    if args.json:
        read_document(args.json)  # a bad target fails now, not after the run

    corpora = load(args.corpora, args.corpus or METADATA_CORPORA, limit=args.limit)
    reports: dict[str, Any] = {}
    with multiprocessing.get_context("fork").Pool(args.workers, _start_worker) as pool:
        for corpus, pages in corpora.items():
            report, rows = corpus_report(pages, pool.map(extract_both, pages, chunksize=4))
            reports[corpus] = report
            args.results.mkdir(parents=True, exist_ok=True)
            with (args.results / f"metadata-{corpus}.jsonl").open("w", encoding="utf-8") as out:
                for row in rows:
                    if args.show_heldback or row["split"] == "tune":
                        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            n = report["pages"]
            print(f"\n== {corpus}: {n['all']} pages (tune {n['tune']}, heldback {n['heldback']}); "
                  f"raw reference (the figure that counts); {report['credentials_dropped']} reference "
                  "author values lost a credential part")
            print_table(report["raw"])
            if args.list_misses:
                print("  newsarchive misses (raw reference):")
                print_misses(rows, args.show_heldback)
            if corpus == "readability":
                print(f"\n  second figure, NOT the one that counts: against the reference with "
                      f"{len(REFERENCE_FIXES)} corrections (listed at the end)")
                print_table(report["corrected"])
    if "readability" in corpora:
        reports["classifier"] = classifier = classifier_check(args.corpora, args.show_heldback)
        print("\nclassifier (newsarchive): Mozilla news pages must be articles, nonarticle pages must not")
        if "skipped" in classifier:
            print(f"  skipped: {classifier['skipped']}")
        else:
            wrong = "; ".join(classifier["wrong"])
            unnamed = classifier["wrong_heldback_unnamed"]
            print(f"  correct {classifier['correct']}/{classifier['pages']}" + (f"; wrong: {wrong}" if wrong else "")
                  + (f"; {unnamed} held-back page(s) wrong (not named)" if unnamed else ""))
        print("\nreference corrections (Readability.js output judged wrong; used only in the second figure):")
        for name, fix in sorted(REFERENCE_FIXES.items()):
            print(f"  {name}: {fix['why']}")
    if args.json:
        write_section(
            args.json,
            "metadata",
            {
                "extractors": {
                    "newsarchive": "pipelines.extract.extract_article(html, url)",
                    "trafilatura": "trafilatura.bare_extraction(html, url=url, with_metadata=True, "
                    "favor_precision=True, include_comments=False)",
                },
                "rules": "see the docstring of bench/extract_metadata.py",
                "limit": args.limit,
                "corpora": reports,
                "reference_fixes": {name: fix["why"] for name, fix in REFERENCE_FIXES.items()},
            },
        )
        print(f"\nfigures written to {args.json} (section 'metadata')")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: nothing written to --json")
