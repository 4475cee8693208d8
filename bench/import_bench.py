"""Import throughput: `newsarchive import` of one multi-thousand-record WARC, today's code against a baseline
commit's, same file, same run.

    .venv/bin/python bench/import_bench.py                     # 500 pages (≈2,500 records), 2 runs per side
    .venv/bin/python bench/import_bench.py --pages 1000 --runs 3 --baseline-ref 52b9c8f

The WARC is built first, gzip per record, from real pages: the shared corpora's articles (wcxb-dev, aeb,
Mozilla's readability `news` pages; the demo site's bundled articles when the corpora are missing), each
with its request record, plus what a crawl's WARC also holds: a stylesheet response per page and a 404 page
for every other one, each with its request. The sides, alternating so machine noise hits them alike:

- **baseline**: the CLI of `--baseline-ref` (default 52b9c8f, the last commit with the single-process,
  warcio-only import), checked out with `git archive` into a temporary folder and run from there with this
  virtual environment;
- **new**: this tree's CLI with `NEWSARCHIVE_IMPORT_WORKERS=-1` (one extraction process per core);
- **new-1p**: this tree's CLI with `NEWSARCHIVE_IMPORT_WORKERS=0` (everything in one process: what the faster
  reader alone gives).

Each run is timed wall-clock from process start to exit and its CPU time (user + system, the workers
included) taken from getrusage. WARC records/s = the run report's `counts.warc_records` / wall seconds. The
records each side writes are compared field by field (all but `crawl_id`) when both sides' extractor version is
the same; across extractor versions (a baseline from before an extraction change) only what the import itself
decides is compared: which records, their ids, URLs, pointers and discovery. The bench exits 1 if they differ.
On a loaded machine wall time moves with the load; CPU seconds per 1,000 records show what each side costs.
JSON goes to bench/results/import_bench.json.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpora import DEFAULT_ROOT, load  # noqa: E402
from crawl_bench import children_cpu, fmt, git_commit, median  # noqa: E402
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

PYTHON = Path(sys.executable)
RESULTS = ROOT / "bench" / "results" / "import_bench.json"
BASELINE_REF = "52b9c8f"
STYLESHEET = b"body{font-family:serif;margin:0 auto;max-width:40em}" * 40
NOT_FOUND = (b"<!doctype html><html><head><title>Not found</title></head>"
             b"<body><h1>404</h1><p>No such page.</p></body></html>")


def demo_pages() -> list[tuple[str, bytes]]:
    """(url, html) of the demo site's bundled real articles."""
    site = ROOT / "crawler" / "demo" / "site" / "pages"
    return [(f"https://demo.example/{path.name.removesuffix('.html.gz')}", gzip.decompress(path.read_bytes()))
            for path in sorted(site.glob("*.html.gz"))]


def real_pages(corpora: Path, count: int) -> list[tuple[str, bytes]]:
    """(url, html) of `count` real pages (the corpora's, else the demo site's), cycling with ?copy=N."""
    pages = [(p.url, p.html.encode()) for pages in load(corpora).values() for p in pages] if corpora.is_dir() \
        else demo_pages()
    return [(url if n < len(pages) else f"{url}{'&' if '?' in url else '?'}copy={n // len(pages)}", html)
            for n, (url, html) in ((n, pages[n % len(pages)]) for n in range(count))]


def write_exchange(writer: WARCWriter, url: str, status: str, content_type: str, body: bytes,
                   when: datetime) -> None:
    date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    request = StatusAndHeaders(f"GET {url.split('/', 3)[-1] or '/'} HTTP/1.1",
                               [("Host", url.split("/")[2]), ("User-Agent", "bench")], is_http_request=True)
    writer.write_record(writer.create_warc_record(url, "request", http_headers=request,
                                                  warc_headers_dict={"WARC-Date": date}))
    response = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=response,
                                                  warc_headers_dict={"WARC-Date": date}))


CAPTURED = datetime(2026, 11, 1, tzinfo=UTC)


def build_warc(path: Path, pages: list[tuple[str, bytes]]) -> None:
    """A gzip-per-record WARC of the pages with their requests, stylesheets and 404s."""
    # After every corpus page was published, as a real capture is: a WARC-Date before a page's date caps the dates
    # htmldate may return below the page's own, and it then tries every date-like string with dateparser (6-7x
    # the extraction time of those pages), which would measure a case no crawl or CC-NEWS file presents.
    start = CAPTURED
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench/import_bench.py"}))
        for n, (url, html) in enumerate(pages):
            when = start + timedelta(seconds=n)
            write_exchange(writer, url, "200 OK", "text/html; charset=utf-8", html, when)
            host = "/".join(url.split("/")[:3])
            write_exchange(writer, f"{host}/static/site-{n}.css", "200 OK", "text/css", STYLESHEET, when)
            if n % 2 == 0:
                write_exchange(writer, f"{host}/missing-{n}", "404 Not Found", "text/html", NOT_FOUND, when)


def baseline_tree(ref: str, into: Path) -> Path:
    """The baseline commit's files (not a worktree: nothing to clean up in the repository)."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_import(side: str, index: int, warc: Path, workdir: Path, code: Path, workers: str | None,
               timeout: float) -> dict[str, Any]:
    run_dir = workdir / f"{side}-{index}"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_") and k != "ARCHIVE_URI"}
    env |= {"ARCHIVE_URI": str(run_dir / "archive"), "NEWSARCHIVE_SPOOL": str(run_dir / "spool"),
            "PYTHONPATH": str(code)}
    if workers is not None:
        env["NEWSARCHIVE_IMPORT_WORKERS"] = workers
    log = run_dir / "output.log"
    with log.open("wb") as out:
        cpu, start = children_cpu(), time.perf_counter()
        # cwd = the code's tree, so `-m crawler` imports that tree's packages before the installed (editable) ones.
        try:
            code_ = subprocess.run([str(PYTHON), "-m", "crawler", "import", str(warc)], env=env, cwd=code, stdout=out,
                                   stderr=subprocess.STDOUT, timeout=timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            code_ = -1
        seconds, cpu_seconds = time.perf_counter() - start, children_cpu() - cpu
    reports = list((run_dir / "archive" / "runs").glob("*.json"))
    counts = json.loads(reports[0].read_text())["counts"] if reports and code_ == 0 else {}
    if not counts:
        print(f"{side} run {index} failed (exit {code_}):\n{log.read_text()[-2000:]}")
    records = [json.loads(line) for path in (run_dir / "archive").rglob("*.jsonl.gz")
               for line in gzip.decompress(path.read_bytes()).splitlines()]
    return {"side": side, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "warc_records": counts.get("warc_records"), "records": len(records),
            "_records": [{k: v for k, v in r.items() if k != "crawl_id"} for r in records]}


# What an import decides whatever the extractor: which records, for which captures, pointing where.
CAPTURE_FIELDS = ("id", "capture_id", "url", "requested_url", "site", "domain", "fetched_at", "http_status",
                  "discovery", "warc")


def compare_records(sides: list[list[dict[str, Any]]]) -> tuple[str, bool]:
    """(what was compared, whether it matched): every field but crawl_id between sides of one extractor version,
    CAPTURE_FIELDS across versions (a baseline from before an extraction change differs in the rest)."""
    def key(records: list[dict[str, Any]], fields: tuple[str, ...] | None) -> list[str]:
        return sorted(json.dumps(r if fields is None else {f: r.get(f) for f in fields}, sort_keys=True)
                      for r in records)

    def version(records: list[dict[str, Any]]) -> str:
        return ",".join(sorted({r["extractor"]["version"] for r in records}))

    same = all(key(records, CAPTURE_FIELDS) == key(sides[0], CAPTURE_FIELDS) for records in sides)
    for records in sides:
        peers = [other for other in sides if version(other) == version(records)]
        same = same and all(key(other, None) == key(records, None) for other in peers)
    versions = sorted({version(records) for records in sides})
    what = ("all fields but crawl_id" if len(versions) == 1 else
            f"extractor versions {' and '.join(versions)}: all fields but crawl_id within a version, "
            f"{', '.join(CAPTURE_FIELDS)} across")
    return what, bool(sides) and bool(sides[0]) and same


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r["warc_records"]]
    rates = [r["warc_records"] / r["seconds"] for r in ok]
    cpu = [1000 * r["cpu_seconds"] / r["warc_records"] for r in ok]
    return {"runs": len(ok), "warc_records": ok[0]["warc_records"] if ok else None,
            "records": ok[0]["records"] if ok else None, "median_s": median([r["seconds"] for r in ok]),
            "median_records_per_s": median(rates), "min_records_per_s": min(rates, default=None),
            "max_records_per_s": max(rates, default=None), "cpu_s_per_1000_records": median(cpu)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=500, help="article pages in the WARC (default 500)")
    parser.add_argument("--runs", type=int, default=2, help="runs per side, alternating (default 2)")
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help=f"baseline commit (default {BASELINE_REF})")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_ROOT, help="folder of the shared corpora")
    parser.add_argument("--no-single", action="store_true", help="skip the new-1p side")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep", action="store_true", help="keep the WARC and the archives")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="import-bench-"))
    try:
        warc = workdir / f"BENCH-{CAPTURED:%Y%m%d%H%M%S}-00000.warc.gz"
        build_warc(warc, real_pages(args.corpora, args.pages))
        baseline = baseline_tree(args.baseline_ref, workdir / "baseline")
        sides = [("baseline", baseline, None), ("new", ROOT, "-1")]
        if not args.no_single:
            sides.append(("new-1p", ROOT, "0"))
        print(f"WARC: {warc.stat().st_size / 1e6:.1f} MB, {args.pages} article pages; "
              f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
        runs = [run_import(side, index, warc, workdir, code, workers, args.timeout)
                for index in range(args.runs) for side, code, workers in sides]
        compared, identical = compare_records([r["_records"] for r in runs if r["warc_records"]])
        summary = {side: summarize([r for r in runs if r["side"] == side]) for side, _, _ in sides}
        base = summary["baseline"]["median_records_per_s"]
        print(f"{'side':<9} {'runs':>4} {'WARC records':>12} {'records':>7} {'median s':>9} {'records/s':>9} "
              f"{'min–max':>13} {'CPU s/1k rec':>12}")
        for side, row in summary.items():
            span = f"{fmt(row['min_records_per_s'], '.0f')}–{fmt(row['max_records_per_s'], '.0f')}"
            print(f"{side:<9} {row['runs']:>4} {fmt(row['warc_records'], 'd'):>12} {fmt(row['records'], 'd'):>7} "
                  f"{fmt(row['median_s'], '.1f'):>9} {fmt(row['median_records_per_s'], '.0f'):>9} {span:>13} "
                  f"{fmt(row['cpu_s_per_1000_records'], '.2f'):>12}")
        for side, row in summary.items():
            if side != "baseline" and base and row["median_records_per_s"]:
                print(f"ratio {side}/baseline: {row['median_records_per_s'] / base:.2f} (wall-clock records/s)")
        pairs = [(b, n) for b, n in zip(runs[0::len(sides)], runs[1::len(sides)], strict=True)
                 if b["warc_records"] and n["warc_records"]]
        print("per pair (new/baseline): " + ", ".join(f"{b['seconds'] / n['seconds']:.2f}" for b, n in pairs))
        print(f"records identical on every side ({compared}): {'yes' if identical else 'NO'}")
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "git": git_commit(),
            "baseline_ref": args.baseline_ref, "pages": args.pages, "cores": os.cpu_count(),
            "identical": identical, "summary": summary,
            "runs": [{k: v for k, v in r.items() if k != "_records"} for r in runs]}, indent=2) + "\n")
        if args.keep:
            print(f"kept: {workdir}")
        return 0 if identical and all(r["warc_records"] for r in runs) else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
