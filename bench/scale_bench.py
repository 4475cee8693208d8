"""Crawl throughput and memory at scale: `newsarchive crawl` vs bare Scrapy on a generated site, same run.

    .venv/bin/python bench/scale_bench.py                       # 20,000 articles, 2 runs per side (long)
    .venv/bin/python bench/scale_bench.py --articles 3000 --runs 2

The site (bench/scale_site.py, served from this process) holds N distinct articles on real page templates,
found through robots.txt → sitemap index → daily sitemaps and through the homepage and paginated sections.
Both sides crawl it alternately with the same settings (bench/crawl_bench.py's runner: bare, full, bare, ...),
each under bench/process_cpu.py. Printed: pages/s of both and their ratio (target ≥ 0.75), CPU ms/page of the
crawl process and of its extraction workers, peak RSS, and RSS growth per 10k pages of the full crawl process
(target ≤ 10 MB): the slope of its RSS over the middle of the run (25 %-95 % of the wall time, past start-up
and before the end of the run), turned into pages with the run's own rate. The full side must record every
article exactly once (records = N); the JSON result goes to bench/results/scale_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crawl_bench import (  # noqa: E402
    Run,
    alternate,
    bench_env,
    compare,
    concurrency_settings,
    fmt,
    git_commit,
    run_json,
)
from scale_site import ScaleSite, serve_scale_site, sites_yaml  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scale_bench.json"
DEFAULT_ARTICLES = 20_000
MIDDLE = (0.25, 0.95)


def rss_growth_per_10k(run: Run) -> float | None:
    """MB of RSS growth per 10,000 pages in the middle of the run (least-squares slope of RSS over time)."""
    if not run.process or not run.pages_per_s:
        return None
    samples = run.process["rss_samples"]
    if not samples:
        return None
    end = samples[-1][0]
    middle = [(t, rss) for t, rss in samples if MIDDLE[0] * end <= t <= MIDDLE[1] * end]
    if len(middle) < 3:
        return None
    mean_t = sum(t for t, _ in middle) / len(middle)
    mean_r = sum(r for _, r in middle) / len(middle)
    slope = (sum((t - mean_t) * (r - mean_r) for t, r in middle)
             / (sum((t - mean_t) ** 2 for t, _ in middle) or 1.0))  # bytes per second
    return slope / run.pages_per_s * 10_000 / 2**20


def records_of(run: Run) -> int | None:
    return (run.mix or {}).get("records")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=DEFAULT_ARTICLES, help=f"default {DEFAULT_ARTICLES}")
    parser.add_argument("--runs", type=int, default=2, help="runs per side, alternating (default 2)")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds before a crawl is killed")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON result file")
    parser.add_argument("--keep", action="store_true", help="keep the runs' work directories (archives, logs)")
    args = parser.parse_args(argv)

    env = bench_env()
    settings = concurrency_settings(env)
    site = ScaleSite(args.articles)
    root = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    print(f"scale bench: {args.articles} articles on {len(site.templates)} templates, {args.runs} runs per side")
    try:
        with serve_scale_site(site) as base:
            sites = root / "sites.yaml"
            sites.write_text(sites_yaml(base), encoding="utf-8")
            runs = alternate(root, sites, args.runs, env, args.timeout)
    finally:
        if args.keep:
            print(f"work directories kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    comparison = compare(runs)
    full_runs = [r for r in runs if r.side == "full" and r.ok]
    growth = [g for r in full_runs if (g := rss_growth_per_10k(r)) is not None]
    recorded = [records_of(r) for r in full_runs]
    memory = {
        "full_peak_rss_mb": max((r.process["self_peak_rss"] / 2**20 for r in full_runs if r.process), default=None),
        "workers_peak_rss_mb": max((r.process["children_peak_rss"] / 2**20 for r in full_runs if r.process),
                                   default=None),
        "full_rss_growth_mb_per_10k_pages": max(growth, default=None),
    }
    print(f"peak RSS: crawl process {fmt(memory['full_peak_rss_mb'], '.0f')} MB, extraction worker "
          f"{fmt(memory['workers_peak_rss_mb'], '.0f')} MB; RSS growth of the crawl process "
          f"{fmt(memory['full_rss_growth_mb_per_10k_pages'], '.1f')} MB per 10k pages (target <= 10)")
    print(f"records per full run: {recorded} of {args.articles} articles")
    ratio = comparison["ratio_full_over_bare"]
    print(f"ratio full/bare {fmt(ratio, '.2f')} (target >= 0.75)")

    result: dict[str, Any] = {
        "benchmark": "scale_bench",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *(argv if argv is not None else sys.argv[1:])]),
        "git": git_commit(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "articles": args.articles,
        "runs_per_side": args.runs,
        "settings": settings,
        **comparison,
        **memory,
        "records_per_full_run": recorded,
        "runs": [run_json(r) | {"rss_growth_mb_per_10k": rss_growth_per_10k(r)} for r in runs],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"result: {args.out}")
    complete = all(count == args.articles for count in recorded) and bool(recorded)
    return 0 if ratio is not None and complete else 1


if __name__ == "__main__":
    sys.exit(main())
