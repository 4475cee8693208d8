"""Article-body quality on every shared corpus: newsarchive vs trafilatura vs readability-lxml, one run.

    python bench/extract_body.py                              # aeb, readability, wcxb-dev
    python bench/extract_body.py --corpus wcxb-dev --limit 100 --list-catastrophic
    python bench/extract_body.py --json /work/notes/extract_baseline.json

Per corpus and split (tune / heldback, see bench/corpora.py) it prints the AEB shingle metric
(F1, precision, recall, accuracy: bench/aeb_metric.py), WCXB word-F1 (bench/wcxb_metric.py), on
wcxb-dev the share of `with` snippets found and of `without` snippets absent, and pages per
CPU-second of each extractor. newsarchive is the public `extract_article` (everything it does:
metadata, body, language, paywall); its `text` is scored.

Catastrophic page: newsarchive's page F1 (AEB metric) < 0.5 while trafilatura's or readability-lxml's
is > 0.8. Their count and share are always printed; `--list-catastrophic` names the tune-half pages.
Pages where newsarchive is more than 0.2 F1 below trafilatura are listed for the tune half. Held-back
pages are never named (in the output, --json or bench/results/) unless `--show-heldback` is given.

Speed: each page is extracted by every extractor in turn in the same worker process, and each call is
timed with time.process_time (CPU of that process) and perf_counter (wall); pages/s is pages divided
by the summed CPU seconds. Workers run in parallel (--workers, default 2), which changes no per-call
CPU time, so the figures stay comparable within a run.
"""

import argparse
import json
import logging
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import mean
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.aeb_metric import PageScore, score_page, summarize, tokens  # noqa: E402
from bench.corpora import CORPORA, SPLITS, Page, add_corpus_arguments, html_text, load, positive  # noqa: E402
from bench.results_json import add_output_arguments, read_document, write_section  # noqa: E402
from bench.wcxb_metric import snippet_share, word_score  # noqa: E402

Extractor = Callable[[str, str], str]

CONFIGS = {
    "newsarchive": "pipelines.extract.extract_article(html, url)['text']",
    "trafilatura": "trafilatura.extract(html, url=url, favor_precision=True, include_comments=False)",
    "trafilatura-default": "trafilatura.extract(html, url=url)",
    "readability-lxml": "readability.Document(html).summary(html_partial=True), text one line per block",
}
REFERENCE = "trafilatura"  # the configuration issue 10 measures newsarchive against
CATASTROPHIC_BELOW, CATASTROPHIC_OTHERS_ABOVE = 0.5, 0.8
BELOW_REFERENCE_BY = 0.2
WARM_UP_HTML = (
    "<html lang='en'><head><title>Warm-up</title></head><body><nav><a href='/'>Home</a></nav><article>"
    "<h1>Warm-up page</h1><p>Published November 20, 2019</p>"
    + "<p>The council met on Tuesday evening to discuss the budget for the coming year, and members agreed that "
    "the library would stay open for longer hours during the summer months.</p>" * 4
    + "</article><footer>Copyright 2019</footer></body></html>"
)


def newsarchive_extractor() -> Extractor:
    from pipelines.extract import extract_article, warm_up

    warm_up()  # language model and date-parser tables, loaded once per process (the crawl's workers do too)
    return lambda html, url: extract_article(html, url)["text"]


def trafilatura_extractor(**options: Any) -> Extractor:
    import trafilatura

    return lambda html, url: trafilatura.extract(html, url=url, **options) or ""


def readability_extractor() -> Extractor:
    from readability import Document

    return lambda html, url: html_text(Document(html).summary(html_partial=True))


FACTORIES: dict[str, Callable[[], Extractor]] = {
    "newsarchive": newsarchive_extractor,
    "trafilatura": lambda: trafilatura_extractor(favor_precision=True, include_comments=False),
    "trafilatura-default": trafilatura_extractor,
    "readability-lxml": readability_extractor,
}

# ---------------------------------------------------------------- extraction (in worker processes)

_extractors: dict[str, Extractor] = {}


def _start_worker(names: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: one line, no tracebacks
    _load_extractors(names)


def _load_extractors(names: list[str]) -> None:
    logging.basicConfig(level=logging.ERROR)  # extractors' own warnings would drown the report
    for name in names:
        _extractors[name] = FACTORIES[name]()
        _extractors[name](WARM_UP_HTML, "https://warm-up.invalid/page")


def page_f1(score: PageScore) -> float:
    total = score.precision + score.recall
    return 2 * score.precision * score.recall / total if total else 0.0


def measure(job: tuple[int, Page]) -> dict[str, Any]:
    """Every extractor on one page (taking turns in a rotating order), timed and scored."""
    index, page = job
    names = list(_extractors)
    names = names[index % len(names) :] + names[: index % len(names)]
    results = {}
    for name in names:
        wall, cpu = time.perf_counter(), time.process_time()
        crashed = False
        try:
            text = _extractors[name](page.html, page.url)
        except Exception:  # a crash is a result of the bench (an empty body), not a reason to stop
            text, crashed = "", True
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        aeb, words = score_page(page.body, text), word_score(page.body, text)
        results[name] = {
            "f1": round(page_f1(aeb), 4),
            "tp": aeb.tp,
            "fp": aeb.fp,
            "fn": aeb.fn,
            "exact": aeb.exact,
            "word_p": round(words.precision, 4),
            "word_r": round(words.recall, 4),
            "word_f1": round(words.f1, 4),
            "with": snippet_share(text, page.with_snippets),
            "without_present": snippet_share(text, page.without_snippets),
            "tokens": len(tokens(text)),
            "cpu": cpu,
            "wall": wall,
            "crashed": crashed,
            "text": text,
        }
    return {
        "id": page.id,
        "url": page.url,
        "split": page.split,
        "truth_tokens": len(tokens(page.body)),
        "by": {name: results[name] for name in _extractors},
    }


def run(pages: list[Page], names: list[str], workers: int) -> list[dict[str, Any]]:
    jobs = list(enumerate(pages))
    if workers <= 1:
        _load_extractors(names)
        return [measure(job) for job in jobs]
    with multiprocessing.get_context("fork").Pool(workers, _start_worker, (names,)) as pool:
        return list(pool.imap(measure, jobs, chunksize=2))


# ---------------------------------------------------------------- figures


def _mean(values: list[float]) -> float | None:
    return round(mean(values), 4) if values else None


def figures(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Corpus-level figures of one extractor over `rows`."""
    results = [row["by"][name] for row in rows]
    aeb = summarize(PageScore(r["tp"], r["fp"], r["fn"], r["exact"]) for r in results)
    without = [r["without_present"] for r in results if r["without_present"] is not None]
    return {
        "pages": len(results),
        "f1": round(aeb.f1, 4),
        "precision": round(aeb.precision, 4),
        "recall": round(aeb.recall, 4),
        "accuracy": round(aeb.accuracy, 4),
        "word_f1": _mean([r["word_f1"] for r in results]),
        "word_precision": _mean([r["word_p"] for r in results]),
        "word_recall": _mean([r["word_r"] for r in results]),
        "with_found": _mean([r["with"] for r in results if r["with"] is not None]),
        "without_absent": round(1 - mean(without), 4) if without else None,
        "crashes": sum(r["crashed"] for r in results),
    }


def speed(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    cpu = sum(row["by"][name]["cpu"] for row in rows)
    wall = sum(row["by"][name]["wall"] for row in rows)
    return {
        "pages": len(rows),
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(wall, 3),
        "pages_per_cpu_second": round(len(rows) / cpu, 1) if cpu else None,
        "pages_per_wall_second": round(len(rows) / wall, 1) if wall else None,
    }


def is_catastrophic(row: dict[str, Any]) -> bool:
    by = row["by"]
    others = max(by["trafilatura"]["f1"], by["readability-lxml"]["f1"])
    return by["newsarchive"]["f1"] < CATASTROPHIC_BELOW and others > CATASTROPHIC_OTHERS_ABOVE


def is_below_reference(row: dict[str, Any]) -> bool:
    return row["by"][REFERENCE]["f1"] - row["by"]["newsarchive"]["f1"] > BELOW_REFERENCE_BY


def _gap_to_reference(row: dict[str, Any]) -> float:
    """Most negative first: the pages where newsarchive loses most against trafilatura."""
    return row["by"]["newsarchive"]["f1"] - row["by"][REFERENCE]["f1"]


def page_summary(row: dict[str, Any]) -> dict[str, Any]:
    """A listed page: id, url and each extractor's page scores and length (no texts)."""
    return {
        "id": row["id"],
        "url": row["url"],
        "truth_tokens": row["truth_tokens"],
        "by": {
            name: {key: r[key] for key in ("f1", "word_f1", "tokens", "crashed")} for name, r in row["by"].items()
        },
    }


def corpus_report(rows: list[dict[str, Any]], names: list[str], show_heldback: bool) -> dict[str, Any]:
    subsets = {"all": rows, **{split: [r for r in rows if r["split"] == split] for split in SPLITS}}
    report: dict[str, Any] = {
        "pages": {subset: len(members) for subset, members in subsets.items()},
        "figures": {subset: {name: figures(members, name) for name in names} for subset, members in subsets.items()},
        "speed": {name: speed(rows, name) for name in names},
    }
    lists = {
        "catastrophic": ({"newsarchive", "trafilatura", "readability-lxml"}, is_catastrophic),
        "below_trafilatura": ({"newsarchive", REFERENCE}, is_below_reference),
    }
    visible = SPLITS if show_heldback else ("tune",)
    for key, (needs, test) in lists.items():
        if not needs <= set(names):
            continue
        hits = {subset: [r for r in members if test(r)] for subset, members in subsets.items()}
        report[key] = {
            subset: {"count": len(found), "share": round(len(found) / len(subsets[subset]), 4) if found else 0.0}
            for subset, found in hits.items()
        }
        report[f"{key}_pages"] = {
            split: [page_summary(r) for r in sorted(hits[split], key=_gap_to_reference)] for split in visible
        }
    return report


# ---------------------------------------------------------------- output


def _cell(value: float | None, width: int = 6) -> str:
    return f"{value:{width}.4f}" if value is not None else f"{'-':>{width}}"


def print_corpus(name: str, report: dict[str, Any], names: list[str], list_catastrophic: bool) -> None:
    pages = report["pages"]
    print(f"\n== {name}: {pages['all']} pages (tune {pages['tune']}, heldback {pages['heldback']})")
    print(f"{'split':<9}{'extractor':<20}{'F1':>7}{'P':>7}{'R':>7}{'acc':>7}{'wordF1':>8}{'with':>7}{'w/o':>7}")
    for subset in ("all", *SPLITS):
        for extractor in names:
            f = report["figures"][subset][extractor]
            crashes = f"  ({f['crashes']} crashed)" if f["crashes"] else ""
            print(
                f"{subset:<9}{extractor:<20}{_cell(f['f1'], 7)}{_cell(f['precision'], 7)}{_cell(f['recall'], 7)}"
                f"{_cell(f['accuracy'], 7)}{_cell(f['word_f1'], 8)}{_cell(f['with_found'], 7)}"
                f"{_cell(f['without_absent'], 7)}{crashes}"
            )
    speeds = report["speed"]
    reference = speeds.get(REFERENCE, {}).get("pages_per_cpu_second")
    line = ", ".join(
        f"{e} {s['pages_per_cpu_second']}"
        + (f" ({s['pages_per_cpu_second'] / reference:.2f}x {REFERENCE})" if reference and e != REFERENCE else "")
        for e, s in speeds.items()
    )
    print(f"pages per CPU-second: {line}")
    for key, title in (
        ("catastrophic", f"catastrophic (newsarchive F1 < {CATASTROPHIC_BELOW}, trafilatura or readability-lxml "
                         f"> {CATASTROPHIC_OTHERS_ABOVE})"),
        ("below_trafilatura", f"newsarchive F1 more than {BELOW_REFERENCE_BY} below {REFERENCE}"),
    ):
        if key not in report:
            print(f"{title}: n/a (needs newsarchive, {REFERENCE} and readability-lxml in the run)")
            continue
        counts = "; ".join(f"{s} {c['count']} ({c['share']:.1%})" for s, c in report[key].items())
        print(f"{title}: {counts}")
        if key == "catastrophic" and not list_catastrophic:
            continue
        for subset, found in report[f"{key}_pages"].items():
            for page in found:
                print(f"  {subset:<8} {_page_line(page)}")


def _page_line(page: dict[str, Any]) -> str:
    by = page["by"]
    scores = " ".join(
        f"{short}={by[n]['f1']:.2f}/{by[n]['tokens']}w"
        for n, short in (("newsarchive", "na"), (REFERENCE, "tr"), ("readability-lxml", "rl"))
        if n in by
    )
    host = urlsplit(page["url"]).hostname or "-"
    return f"{page['id'][:12]:<12} {host:<32.32} {scores} truth={page['truth_tokens']}w"


def write_pages(results: Path, corpus: str, rows: list[dict[str, Any]], show_heldback: bool) -> None:
    """Per-page rows with every extractor's text, for diagnosis (tune half only unless --show-heldback)."""
    results.mkdir(parents=True, exist_ok=True)
    with (results / f"body-{corpus}.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            if show_heldback or row["split"] == "tune":
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_arguments(parser, CORPORA)
    add_output_arguments(parser, "body")
    parser.add_argument("--only", choices=list(FACTORIES), action="append", help="only these extractors")
    parser.add_argument("--workers", type=positive, default=2, help="worker processes (default 2)")
    parser.add_argument("--list-catastrophic", action="store_true", help="name the catastrophic tune pages")
    args = parser.parse_args()
    if args.json:
        read_document(args.json)  # a bad target fails now, not after the run

    names = [n for n in FACTORIES if n in (args.only or FACTORIES)]
    corpora = load(args.corpora, args.corpus or CORPORA, limit=args.limit)
    started = time.perf_counter()
    reports = {}
    for corpus, pages in corpora.items():
        rows = run(pages, names, args.workers)
        write_pages(args.results, corpus, rows, args.show_heldback)
        reports[corpus] = corpus_report(rows, names, args.show_heldback)
        print_corpus(corpus, reports[corpus], names, args.list_catastrophic)
    elapsed = time.perf_counter() - started
    print(f"\n{sum(len(p) for p in corpora.values())} pages, {elapsed:.0f} s wall, {args.workers} worker(s)")
    if args.json:
        write_section(
            args.json,
            "body",
            {
                "split_rule": "wcxb-dev: even file id = tune; aeb, readability: sha1(id)[0] even = tune",
                "extractors": {n: CONFIGS[n] for n in names},
                "catastrophic_rule": f"newsarchive page F1 < {CATASTROPHIC_BELOW} while trafilatura or "
                f"readability-lxml > {CATASTROPHIC_OTHERS_ABOVE} (AEB metric, per page)",
                "speed_method": "time.process_time per call in the worker, summed; pages / CPU seconds",
                "limit": args.limit,
                "workers": args.workers,
                "heldback_pages_named": args.show_heldback,
                "corpora": reports,
            },
        )
        print(f"figures written to {args.json} (section 'body')")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: nothing written to --json")
