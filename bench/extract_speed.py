"""Speed of the whole extraction: `extract_article` vs trafilatura's `bare_extraction` with metadata.

    python bench/extract_speed.py                 # 50 pages of each corpus, 3 passes
    python bench/extract_speed.py --per-corpus 100 --passes 5 --json /work/notes/extract_baseline.json

Both sides do everything they offer for a record: newsarchive `extract_article(html, url)` (metadata,
body, language, paywall); trafilatura `bare_extraction(html, url=url, with_metadata=True,
favor_precision=True, include_comments=False)` (metadata and body). One process, the same pages, the
same run. The fixed sample is every k-th page (sorted by id) of each corpus, k chosen so each gives
--per-corpus pages. Both sides are warmed up on the first pages; then each pass extracts every page
with both, taking turns page by page (which side goes first alternates), so a busy machine slows both
alike. Per pass and side the summed time of the calls gives pages/s; the figure is the median over
the passes, in wall-clock (perf_counter) and CPU (process_time) seconds. The ratio newsarchive /
trafilatura is what counts (issue 10: at least 1.0); absolute pages/s vary with the machine's load.
"""

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpora import CORPORA, DEFAULT_ROOT, Page, load, positive  # noqa: E402
from bench.results_json import read_document, write_section  # noqa: E402

WARM_UP_PAGES = 3


def newsarchive() -> Callable[[Page], Any]:
    from pipelines.extract import extract_article, warm_up

    warm_up()
    return lambda page: extract_article(page.html, page.url)


def trafilatura() -> Callable[[Page], Any]:
    import trafilatura

    return lambda page: trafilatura.bare_extraction(
        page.html, url=page.url, with_metadata=True, favor_precision=True, include_comments=False
    )


def sample(pages: list[Page], size: int) -> list[Page]:
    step = max(1, len(pages) // size)
    return pages[::step][:size]


def one_pass(sides: dict[str, Callable[[Page], Any]], pages: list[Page], flip: bool) -> dict[str, dict[str, float]]:
    spent = {name: {"wall": 0.0, "cpu": 0.0} for name in sides}
    order = list(sides)
    for index, page in enumerate(pages):
        for name in order[::-1] if (index % 2) ^ flip else order:
            wall, cpu = time.perf_counter(), time.process_time()
            sides[name](page)
            spent[name]["cpu"] += time.process_time() - cpu
            spent[name]["wall"] += time.perf_counter() - wall
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--corpus", choices=CORPORA, action="append", help="only these corpora (repeatable)")
    parser.add_argument("--per-corpus", type=positive, default=50, help="pages sampled from each corpus (default 50)")
    parser.add_argument("--passes", type=positive, default=3, help="timed passes; the median counts (default 3)")
    parser.add_argument("--json", type=Path, help="write the figures to this file's 'speed' section")
    args = parser.parse_args()
    if args.json:
        read_document(args.json)  # a bad target fails now, not after the run
    logging.basicConfig(level=logging.ERROR)

    corpora = load(args.corpora, args.corpus or CORPORA)
    pages = [page for corpus in corpora.values() for page in sample(corpus, args.per_corpus)]
    sides = {"newsarchive": newsarchive(), "trafilatura": trafilatura()}
    for page in pages[:WARM_UP_PAGES]:
        for extract in sides.values():
            extract(page)
    passes = [one_pass(sides, pages, flip=bool(i % 2)) for i in range(args.passes)]

    figures: dict[str, Any] = {}
    for clock in ("wall", "cpu"):
        rates = {name: [len(pages) / p[name][clock] for p in passes] for name in sides}
        figures[clock] = {name: {"pages_per_second": round(median(r), 1), "passes": [round(x, 1) for x in r]}
                          for name, r in rates.items()}
        figures[clock]["ratio"] = round(median(rates["newsarchive"]) / median(rates["trafilatura"]), 3)
    sizes = ", ".join(f"{name} {len(sample(c, args.per_corpus))}" for name, c in corpora.items())
    print(f"{len(pages)} pages ({sizes}), {args.passes} passes, one process")
    for clock, label in (("wall", "wall-clock"), ("cpu", "CPU")):
        f = figures[clock]
        print(f"  {label:<10} extract_article {f['newsarchive']['pages_per_second']:6.1f} pages/s "
              f"{f['newsarchive']['passes']}, bare_extraction {f['trafilatura']['pages_per_second']:6.1f} pages/s "
              f"{f['trafilatura']['passes']}: ratio {f['ratio']:.2f}")
    if args.json:
        write_section(
            args.json,
            "speed",
            {"pages": len(pages), "sample": sizes, "passes": args.passes, "figures": figures,
             "method": "one process, sides take turns page by page, median of the passes' pages/s"},
        )
        print(f"figures written to {args.json} (section 'speed')")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: nothing written to --json")
