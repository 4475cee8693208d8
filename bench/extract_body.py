"""Benchmark article-body extraction on the AEB corpus: newsarchive vs trafilatura vs readability-lxml.

    python bench/extract_body.py --corpus /work/shared/corpora/aeb
    python bench/extract_body.py --corpus /work/shared/corpora/readability   # its 49 news pages

Prints F1 / precision / recall / accuracy / pages per second for every extractor, on all pages and on
the two halves (ids sorted; even positions = "tune", odd = "check": tune rules on one, confirm on the
other). Per-page scores go to bench/results/<extractor>.jsonl for diagnosis.

The Mozilla Readability set is a second opinion nobody tunes on: its truth is what Readability.js
extracts (a regression fixture, not a human annotation), so a drop there flags a rule that does not
generalise rather than measuring quality.
"""

import argparse
import csv
import gzip
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.aeb_metric import PageScore, score_page, summarize  # noqa: E402
from pipelines.extract.article import warm_up  # noqa: E402

Extractor = Callable[[str, str], str]
WARMUP_PAGES = 5


def newsarchive_extractor() -> Extractor:
    """Our path: parse once, metadata (its JSON-LD body feeds ours), body; all three are timed."""
    from pipelines.extract.body.text import extract_body
    from pipelines.extract.document import parse_html

    try:
        from pipelines.extract.metadata.fields import extract_metadata
    except ImportError:
        extract_metadata = None

    def run(html: str, url: str) -> str:
        document = parse_html(html)
        if document is None:
            return ""
        metadata = extract_metadata(document, url) if extract_metadata else {}
        return extract_body(document, url, metadata=metadata)

    return run


def trafilatura_extractor() -> Extractor:
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url, favor_precision=True, include_comments=False) or ""

    return run


def readability_extractor() -> Extractor:
    import lxml.html
    from readability import Document

    def run(html: str, url: str) -> str:
        summary = Document(html).summary(html_partial=True)
        return lxml.html.fromstring(summary).text_content() if summary.strip() else ""

    return run


EXTRACTORS: dict[str, Callable[[], Extractor]] = {
    "newsarchive": newsarchive_extractor,
    "trafilatura": trafilatura_extractor,
    "readability-lxml": readability_extractor,
}


def load_corpus(corpus: Path) -> list[dict[str, str]]:
    """Pages sorted by id, each with its html, url and truth body, from either corpus layout."""
    if (corpus / "categories.csv").exists():
        return load_readability_news(corpus)
    return load_aeb(corpus)


def load_readability_news(corpus: Path) -> list[dict[str, str]]:
    """The Mozilla Readability pages categorised `news`; the truth is the text of expected.html."""
    import lxml.html

    with (corpus / "categories.csv").open(encoding="utf-8") as handle:
        names = sorted(row["page"] for row in csv.DictReader(handle) if row["category"] == "news")
    pages = []
    for name in names:
        folder = corpus / "pages" / name
        expected = lxml.html.fromstring((folder / "expected.html").read_text(encoding="utf-8"))
        html = (folder / "source.html").read_text(encoding="utf-8", errors="replace")
        pages.append({"id": name, "html": html, "url": f"https://{name}.example/", "truth": expected.text_content()})
    return pages


def load_aeb(corpus: Path) -> list[dict[str, str]]:
    """AEB pages and their human-annotated articleBody."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        path = corpus / "html" / f"{page_id}.html.gz"
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        entry = truth[page_id]
        pages.append({"id": page_id, "html": html, "url": entry["url"], "truth": entry["articleBody"]})
    return pages


def _row(page: dict[str, str], index: int, text: str, elapsed: float) -> dict[str, Any]:
    score = score_page(page["truth"], text)
    return {
        "id": page["id"],
        "half": "tune" if index % 2 == 0 else "check",
        "url": page["url"],
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "tp": score.tp,
        "fp": score.fp,
        "fn": score.fn,
        "exact": score.exact,
        "seconds": round(elapsed, 4),
        "text": text,
    }


def _timed(extract: Extractor, page: dict[str, str]) -> tuple[str, float]:
    start = time.perf_counter()
    try:
        text = extract(page["html"], page["url"])
    except Exception as error:  # a crash is a benchmark result, not a reason to stop
        text = ""
        logging.warning("%s crashed: %r", page["id"], error)
    return text, time.perf_counter() - start


def run_all(extractors: dict[str, Extractor], pages: list[dict[str, str]]) -> dict[str, tuple[list, float]]:
    """Per-extractor rows and total seconds.

    Extractors take turns page by page (after a short warm-up), so a busy machine slows them all
    alike and pages/s stay comparable within one run.
    """
    warm_up()  # one-time loads (language model, date-parser tables) are not charged to the first page
    for page in pages[:WARMUP_PAGES]:
        for extract in extractors.values():
            _timed(extract, page)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in extractors}
    seconds = dict.fromkeys(extractors, 0.0)
    for index, page in enumerate(pages):
        for name, extract in extractors.items():
            text, elapsed = _timed(extract, page)
            seconds[name] += elapsed
            rows[name].append(_row(page, index, text, elapsed))
    return {name: (rows[name], seconds[name]) for name in extractors}


def _score(row: dict[str, Any]) -> PageScore:
    return PageScore(tp=row["tp"], fp=row["fp"], fn=row["fn"], exact=row["exact"])


def table_lines(results: dict[str, tuple[list[dict[str, Any]], float]]) -> list[str]:
    """One line per (subset, extractor); speed is measured over the whole corpus."""
    header = ("subset", "extractor", "F1", "P", "R", "acc", "pages/s", "n")
    lines = ["{:<6} {:<17} {:>6} {:>6} {:>6} {:>6} {:>8} {:>4}".format(*header)]
    for subset in ("all", "tune", "check"):
        for name, (rows, seconds) in results.items():
            chosen = [r for r in rows if subset == "all" or r["half"] == subset]
            s = summarize(_score(r) for r in chosen)
            speed = len(rows) / seconds if seconds else float("inf")
            lines.append(
                f"{subset:<6} {name:<17} {s.f1:6.4f} {s.precision:6.4f} {s.recall:6.4f} "
                f"{s.accuracy:6.4f} {speed:8.1f} {s.pages:>4}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, required=True, help="AEB folder (html/ + ground-truth.json) or Mozilla readability/"
    )
    parser.add_argument("--only", choices=sorted(EXTRACTORS), action="append", help="run only these")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    pages = load_corpus(args.corpus)
    args.results.mkdir(parents=True, exist_ok=True)
    results = run_all({name: EXTRACTORS[name]() for name in args.only or EXTRACTORS}, pages)
    for name, (rows, _) in results.items():
        with (args.results / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    print("\n".join(table_lines(results)))


if __name__ == "__main__":
    main()
