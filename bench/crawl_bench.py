"""Crawl throughput: a full `newsarchive crawl` vs a bare Scrapy crawl of the same demo site, same run.

    .venv/bin/python bench/crawl_bench.py                  # 25 copies, 3 runs per side (≈2.5 min)
    .venv/bin/python bench/crawl_bench.py --copies 50 --runs 5

The demo site (crawler.demo.server, in this process) serves N copies of its 17 real article pages; both
sides crawl it in a subprocess with the same Scrapy settings (concurrency from settings/base.py, robots
obeyed, no AutoThrottle, no delay), alternating bare, full, bare, full, ... so machine noise hits both
alike. Each run is timed wall-clock, process start to exit, as an operator would see it, and its CPU
time (user + system) is recorded too. The result is the median pages/s of each side and their ratio
(full/bare): the share of bare-Scrapy throughput the pipeline (WARC capture, extraction, records,
uploads) keeps. Both sides are CPU-bound on one reactor thread, so the ratio of pages per CPU-second
is printed as well: it barely moves when other jobs load the machine, while wall time does. Each crawl runs
under bench/process_cpu.py, which splits the CPU time between the crawl process (the reactor thread) and its
extraction workers, and records peak RSS.

The JSON result goes to bench/results/crawl_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.demo import server as demo_server  # noqa: E402
from crawler.demo.server import demo_sites_yaml, serve_demo_site  # noqa: E402

PYTHON = Path(sys.executable)
PROCESS_CPU = ROOT / "bench" / "process_cpu.py"
RESULTS = ROOT / "bench" / "results" / "crawl_bench.json"
# Measured on the 2-core dev machine: 25 copies (425 articles; ≈1,030 pages with the section pages and the
# ≈600 distinct 404s the articles' own relative links lead to) make the full crawl last 30-35 s.
DEFAULT_COPIES = 25
MISMATCH_WARN = 0.05
# Both sides get these, so they share every setting (env overrides apply to the bare spider too).
CRAWL_ENV = {
    "NEWSARCHIVE_PROGRESS": "off",
    "NEWSARCHIVE_MAX_PAGES_PER_SITE": "1000000",
    "NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false",
    "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
}


@dataclass
class Run:
    """One timed crawl; `pages` is Scrapy's downloader/response_count (robots.txt and 404s included)."""

    side: str
    index: int
    seconds: float
    cpu_seconds: float
    pages: int | None
    exit_code: int
    error: str | None = None
    warc_responses: int | None = None  # full side: response records found in the WARC files
    mix: dict[str, int] | None = None  # what the pages were: HTTP statuses (bare), article/error counts (full)
    process: dict[str, Any] | None = None  # bench/process_cpu.py: CPU and RSS of the crawl process, its workers

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.pages)

    @property
    def pages_per_s(self) -> float | None:
        return self.pages / self.seconds if self.ok and self.pages else None

    @property
    def cpu_ms_per_page(self) -> float | None:
        return 1000 * self.cpu_seconds / self.pages if self.ok and self.pages else None

    def split_ms_per_page(self, part: str) -> float | None:
        """CPU ms per page of the crawl process itself (`self`) or of its workers (`children`)."""
        if not self.ok or not self.pages or not self.process:
            return None
        return 1000 * self.process[f"{part}_cpu_s"] / self.pages

    @property
    def peak_rss_mb(self) -> float | None:
        return self.process["self_peak_rss"] / 2**20 if self.process else None


def tail(path: Path, lines: int = 15) -> str:
    """Last lines of a log file, for error reports."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Timing:
    seconds: float
    cpu_seconds: float  # user + system of the crawl process (and its children): less noisy than wall time
    exit_code: int
    log: Path
    process: dict[str, Any] | None = None  # bench/process_cpu.py's split, when the command ran under it


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], workdir: Path, timeout: float) -> Timing:
    """Run a Python entry point (`module:function` and its arguments) in a subprocess under bench/process_cpu.py,
    with its output in a file (a pipe could fill up and stall it)."""
    log, split = workdir / "output.log", workdir / "process.json"
    command = [str(PYTHON), str(PROCESS_CPU), "--out", str(split), *command]
    with log.open("wb") as out:
        cpu, start = children_cpu(), time.perf_counter()
        try:
            code = subprocess.run(command, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            code = -1
        seconds = time.perf_counter() - start
    process = json.loads(split.read_text(encoding="utf-8")) if split.exists() else None
    return Timing(seconds, children_cpu() - cpu, code, log, process)


def run_bare(index: int, sites: Path, workdir: Path, env: dict[str, str], timeout: float) -> Run:
    stats_file = workdir / "stats.json"
    command = ["bare_spider:main", "--sites", str(sites), "--stats-out", str(stats_file)]
    timing = timed(command, env, workdir, timeout)
    if timing.exit_code != 0 or not stats_file.exists():
        return Run("bare", index, timing.seconds, timing.cpu_seconds, None, timing.exit_code,
                   error=f"exit {timing.exit_code}:\n{tail(timing.log)}")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    prefix = "downloader/response_status_count/"
    mix = {key.removeprefix(prefix): value for key, value in stats.items() if key.startswith(prefix)}
    return Run("bare", index, timing.seconds, timing.cpu_seconds, stats.get("downloader/response_count"),
               timing.exit_code, mix=mix, process=timing.process)


def count_warc_responses(archive: Path) -> int | None:
    """Response records in the archive's WARC files: an independent check of the run report's count."""
    from warcio.archiveiterator import ArchiveIterator

    files = sorted(p for p in archive.rglob("*.warc*") if p.is_file() and not p.name.endswith((".cdxj", ".open")))
    if not files:
        return None
    count = 0
    for path in files:
        with path.open("rb") as stream:
            count += sum(1 for record in ArchiveIterator(stream) if record.rec_type == "response")
    return count


def run_full(index: int, sites: Path, workdir: Path, env: dict[str, str], timeout: float) -> Run:
    archive, spool = workdir / "archive", workdir / "spool"
    env = env | {"ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(spool)}
    command = ["crawler.cli:main", "crawl", "--sites", str(sites)]
    timing = timed(command, env, workdir, timeout)
    reports = sorted((archive / "runs").glob("*.json"))
    report = json.loads(reports[-1].read_text(encoding="utf-8")) if reports else None
    pages = report["counts"]["responses"] if report else None
    warc_responses = count_warc_responses(archive) if archive.exists() else None
    error = None
    if timing.exit_code != 0 or report is None:
        error = f"exit {timing.exit_code}, {'a' if report else 'no'} run report:\n{tail(timing.log)}"
    mix = {k: report["counts"][k] for k in ("articles", "records", "responses_4xx", "errors")} if report else None
    return Run("full", index, timing.seconds, timing.cpu_seconds, pages if pages is not None else warc_responses,
               timing.exit_code, error, warc_responses, mix, timing.process)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(runs: list[Run], side: str) -> dict[str, Any]:
    """Medians over the successful runs of one side."""
    good = [r for r in runs if r.side == side and r.ok]
    rates = [r.pages_per_s for r in good if r.pages_per_s]
    return {
        "runs_ok": len(good),
        "runs_failed": sum(1 for r in runs if r.side == side and not r.ok),
        "pages": median([float(r.pages or 0) for r in good]),
        "seconds": median([r.seconds for r in good]),
        "pages_per_s": median(rates),
        "pages_per_s_min": min(rates) if rates else None,
        "pages_per_s_max": max(rates) if rates else None,
        "cpu_ms_per_page": median([r.cpu_ms_per_page for r in good if r.cpu_ms_per_page]),
        "crawl_process_cpu_ms_per_page": median([v for r in good if (v := r.split_ms_per_page("self")) is not None]),
        "workers_cpu_ms_per_page": median([v for r in good if (v := r.split_ms_per_page("children")) is not None]),
        "peak_rss_mb": max([v for r in good if (v := r.peak_rss_mb) is not None], default=None),
    }


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def print_table(bare: dict[str, Any], full: dict[str, Any]) -> None:
    """Medians of both sides; CPU ms/page in all, in the crawl process, in its extraction workers."""
    print(f"\n{'side':<6}{'runs':>6}{'pages':>8}{'seconds':>9}{'pages/s':>9}{'min–max':>15}{'CPU ms/page':>13}"
          f"{'crawl proc':>12}{'workers':>9}{'peak RSS MB':>13}")
    for name, side in (("bare", bare), ("full", full)):
        spread = f"{fmt(side['pages_per_s_min'], '.1f')}–{fmt(side['pages_per_s_max'], '.1f')}"
        print(f"{name:<6}{side['runs_ok']:>6}{fmt(side['pages'], '.0f'):>8}{fmt(side['seconds'], '.1f'):>9}"
              f"{fmt(side['pages_per_s'], '.1f'):>9}{spread:>15}{fmt(side['cpu_ms_per_page'], '.1f'):>13}"
              f"{fmt(side['crawl_process_cpu_ms_per_page'], '.1f'):>12}{fmt(side['workers_cpu_ms_per_page'], '.1f'):>9}"
              f"{fmt(side['peak_rss_mb'], '.0f'):>13}")


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip() + (" (dirty)" if subprocess.run(
                                  ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                  capture_output=True, text=True, check=False).stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def concurrency_settings(env: dict[str, str]) -> dict[str, Any]:
    """What both sides run with (settings/base.py under the crawls' environment, as the CLI loads it)."""
    from crawler.config import load_settings

    settings = load_settings(environ=env)
    names = ["CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "ROBOTSTXT_OBEY", "DEPTH_LIMIT",
             "AUTOTHROTTLE_ENABLED", "DOWNLOAD_DELAY"]
    return {name: settings.get(name) for name in names}


def disable_server_nagle() -> bool:
    """Make the demo server send with TCP_NODELAY; returns whether it was off before.

    Its handler writes headers and body in separate sends; with Nagle on, the body waits for the
    client's delayed ACK, so every response takes ~40 ms and both sides are capped near
    4 per-domain slots / 40 ms ≈ 90 pages/s: the bench would time the server's TCP stack, not the
    crawler. Real news servers (nginx `tcp_nodelay on`) do not stall like this. This is the stdlib's
    StreamRequestHandler.disable_nagle_algorithm; a no-op once the demo server sets it itself.
    """
    handler = demo_server._Handler
    was_off = not handler.disable_nagle_algorithm
    handler.disable_nagle_algorithm = True
    return was_off


def bench_env() -> dict[str, str]:
    """The crawls' environment: the caller's NEWSARCHIVE_* and ARCHIVE_URI dropped (results must not depend on
    the shell used), CRAWL_ENV added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_") and k != "ARCHIVE_URI"}
    return env | CRAWL_ENV


def alternate(root: Path, sites: Path, runs: int, env: dict[str, str], timeout: float) -> list[Run]:
    """bare, full, bare, full, ...: `runs` crawls per side of the sites file, each in a work directory under
    `root`, printed as they end. A failing full side is not retried (the bare runs go on)."""
    done: list[Run] = []
    full_broken = False
    for index in range(runs):
        for side, runner in (("bare", run_bare), ("full", run_full)):
            if side == "full" and full_broken:
                continue
            workdir = root / f"{side}-{index}"
            workdir.mkdir()
            run = runner(index, sites, workdir, env, timeout)
            done.append(run)
            print(f"  {side} #{index + 1}: {fmt(float(run.pages) if run.pages else None, '.0f')} pages "
                  f"in {run.seconds:.1f} s = {fmt(run.pages_per_s, '.1f')} pages/s, "
                  f"{fmt(run.cpu_ms_per_page, '.1f')} CPU ms/page (crawl process "
                  f"{fmt(run.split_ms_per_page('self'), '.1f')}, workers "
                  f"{fmt(run.split_ms_per_page('children'), '.1f')})"
                  + (f"  FAILED ({run.error.splitlines()[0]})" if run.error else ""), flush=True)
            if run.error:
                print("    " + run.error.replace("\n", "\n    "), file=sys.stderr)
                if side == "full":
                    full_broken = True
                    print("    full side failed: not retried in this bench; the bare runs go on")
    return done


def compare(runs: list[Run]) -> dict[str, Any]:
    """Medians per side, their ratios (wall clock, per pair, per CPU-second) and what looks wrong; printed."""
    bare, full = summarize(runs, "bare"), summarize(runs, "full")
    ratio = full["pages_per_s"] / bare["pages_per_s"] if full["pages_per_s"] and bare["pages_per_s"] else None
    cpu_ratio = (bare["cpu_ms_per_page"] / full["cpu_ms_per_page"]
                 if bare["cpu_ms_per_page"] and full["cpu_ms_per_page"] else None)
    pair_ratios = [f.pages_per_s / b.pages_per_s for b, f in zip(
        [r for r in runs if r.side == "bare"], [r for r in runs if r.side == "full"], strict=False)
        if b.pages_per_s and f.pages_per_s]
    warnings = []
    if bare["pages"] and full["pages"] and abs(full["pages"] - bare["pages"]) / bare["pages"] > MISMATCH_WARN:
        warnings.append(f"page counts differ by more than {MISMATCH_WARN:.0%}: bare {bare['pages']:.0f}, "
                        f"full {full['pages']:.0f}; the sides do not crawl the same pages")
    for run in runs:
        if run.warc_responses is not None and run.pages and run.warc_responses != run.pages:
            warnings.append(f"full #{run.index + 1}: run report says {run.pages} responses, "
                            f"WARC files hold {run.warc_responses} response records")

    print_table(bare, full)
    print(f"ratio full/bare (medians): {fmt(ratio, '.2f')}"
          + (f"   per pair: {', '.join(f'{r:.2f}' for r in pair_ratios)}" if pair_ratios else ""))
    print(f"ratio full/bare in pages per CPU-second (steadier when other jobs share the machine): "
          f"{fmt(cpu_ratio, '.2f')}")
    for warning in warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    return {"bare": bare, "full": full, "ratio_full_over_bare": ratio, "pair_ratios": pair_ratios,
            "ratio_full_over_bare_cpu": cpu_ratio, "warnings": warnings}


def run_json(run: Run) -> dict[str, Any]:
    return asdict(run) | {"pages_per_s": run.pages_per_s, "cpu_ms_per_page": run.cpu_ms_per_page}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=DEFAULT_COPIES,
                        help=f"copies of the 17 demo articles to serve (default {DEFAULT_COPIES}: 30-35 s full crawl)")
    parser.add_argument("--runs", type=int, default=3, help="runs per side, alternating (default 3)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a crawl is killed")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON result file")
    parser.add_argument("--keep", action="store_true", help="keep the runs' work directories (archives, logs)")
    parser.add_argument("--server-nagle", action="store_true",
                        help="leave the demo server's ~40 ms Nagle/delayed-ACK stall per response in place")
    args = parser.parse_args(argv)
    nodelay_forced = False if args.server_nagle else disable_server_nagle()

    env = bench_env()
    settings = concurrency_settings(env)
    root = Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    print(f"crawl bench: {args.copies} copies × 17 articles, {args.runs} runs per side, settings {settings}")
    try:
        with serve_demo_site(copies=args.copies) as base_url:
            sites = root / "sites.yaml"
            sites.write_text(demo_sites_yaml(base_url), encoding="utf-8")
            runs = alternate(root, sites, args.runs, env, args.timeout)
    finally:
        if args.keep:
            print(f"work directories kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    comparison = compare(runs)
    ratio, bare, full = comparison["ratio_full_over_bare"], comparison["bare"], comparison["full"]

    result = {
        "benchmark": "crawl_bench",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *(argv if argv is not None else sys.argv[1:])]),
        "git": git_commit(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "copies": args.copies,
        "runs_per_side": args.runs,
        "settings": settings,
        "server_tcp_nodelay": not args.server_nagle,
        "server_tcp_nodelay_forced_by_bench": nodelay_forced,
        **comparison,
        "runs": [run_json(r) for r in runs],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"result: {args.out}")
    return 0 if ratio is not None and not full["runs_failed"] and not bare["runs_failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
