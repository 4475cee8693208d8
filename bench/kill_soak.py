"""Kill crawls at random moments, many times, under CPU load, and count what the kills broke (must be 0).

    .venv/bin/python bench/kill_soak.py                          # 24 kill -9, 2 CPU hogs (≈4 min)
    .venv/bin/python bench/kill_soak.py --kills 40 --seed 7
    .venv/bin/python bench/kill_soak.py --signal INT --kills 20  # Ctrl-C to the process group instead

One archive and one local news site (tests/fixture_news_site.py, slow articles, a redirect alias per round),
crawled again and again with `newsarchive crawl`; each round the site publishes new articles and an alias,
and the crawl is hit at a random moment from its start to past its usual end, so kills land in start-up,
recovery of the last kill's leftovers, crawling, and the end of the run (a crawl that finished first just
counts as finished). `--load` processes spin on the CPUs meanwhile. Violations:

- refetched: the next crawl fetched an article (or alias) whose record the killed crawl had written (complete
  records in the spool, as the salvage keeps them, plus the archive's);
- orphan: a process of the killed crawl alive 5 s after the kill;
- with --signal INT or TERM: an exit other than 130 (or 0 when the spider was closing already as the signal
  went; or death by the signal in the interpreter's first or last milliseconds), later than 10 s, a traceback
  or a worker warning in the output, or a `.open` file left;
and after a final crawl without kills:
- lost: an article of the site without a record;
- archive: two records with one id, or a record whose capture does not read back.

The summary (and a JSON file with --json) lists every violation; the exit code is 1 when there is one.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crash_checks import (  # noqa: E402
    TRACEBACK,
    archive_problems,
    archive_records,
    processes_left,
    record_paths,
    spool_records,
    start_crawl,
)
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml  # noqa: E402

ENV = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
       "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "2", "NEWSARCHIVE_PROGRESS": "plain"}
FIRST_DAY = date(2024, 1, 1)
SIGNALS = {"KILL": signal.SIGKILL, "INT": signal.SIGINT, "TERM": signal.SIGTERM}
EXIT_WITHIN = 10.0


def cpu_hogs(count: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    """Processes that spin for `seconds` (they stop by themselves; killed at the end anyway)."""
    spin = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"
    return [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]


def publish(site: FixtureSite, round_no: int, per_round: int) -> None:
    """New articles, and an alias of a random earlier one (archived or not)."""
    start = FIRST_DAY + timedelta(days=len(site.articles))
    site.articles += days(start, per_round)
    site.redirects[f"/story/{round_no}"] = site.article_path(random.choice(site.articles))


def soak(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    random.seed(args.seed)
    signum = SIGNALS[args.signal]
    site = FixtureSite(articles=days(FIRST_DAY, args.articles), article_delay=args.article_delay)
    violations: list[dict[str, Any]] = []
    outcomes: Counter[str] = Counter()
    hogs = cpu_hogs(args.load, seconds=args.kills * 60)
    try:
        with serve_fixture_site(site) as base:
            sites = work / "sites.yaml"
            sites.write_text(sites_yaml(base))
            written: set[str] = set()
            for round_no in range(args.kills):
                publish(site, round_no, args.per_round)
                site.clear()
                crawl = start_crawl(sites, work, ENV, name=f"round{round_no}")
                delay = random.uniform(0.0, args.max_delay)
                code = crawl.wait(delay)
                if code is not None:
                    outcomes[f"finished before the signal (exit {code})"] += 1
                else:
                    hit_at = time.monotonic()
                    outcomes[f"{args.signal} after {delay:.0f}-{delay + 1:.0f} s"] += 1
                    if signum == signal.SIGKILL:
                        crawl.kill()
                        code = -9
                    else:
                        ending = CLOSING in crawl.output()  # the spider was closing already: exit 0 is its due
                        crawl.signal_group(signum)
                        code = crawl.wait(EXIT_WITHIN)
                        violations += signal_violations(round_no, crawl, code, time.monotonic() - hit_at, work,
                                                        signum, ending=ending)
                fetched = set(site.paths("/news/")) | set(site.paths("/story/"))
                violations += [{"round": round_no, "kind": "refetched", "path": path}
                               for path in sorted(fetched & written)]
                left = processes_left(crawl.pid, within=5)
                if left:
                    violations.append({"round": round_no, "kind": "orphan", "processes": left})
                crawl.clean_up()
                written = record_paths(spool_records(work / "spool") + archive_records(work / "archive"))
                print(f"round {round_no + 1}/{args.kills}: {'exit ' + str(code)} after {delay:.1f} s, "
                      f"{len(written)} recorded paths, {len(violations)} violation(s) so far", flush=True)
            site.clear()
            site.article_delay = 0
            final = start_crawl(sites, work, ENV, name="final")
            final_code = final.wait(600)
            final.clean_up()
            for path in sorted((set(site.paths("/news/")) | set(site.paths("/story/"))) & written):
                violations.append({"round": "final", "kind": "refetched", "path": path})
        if final_code != 0:
            violations.append({"round": "final", "kind": "final crawl failed", "exit": final_code,
                               "output": final.output()[-2000:]})
        recorded = {r["url"].split("/", 3)[3] for r in archive_records(work / "archive")}
        violations += [{"round": "final", "kind": "lost", "path": site.article_path(day)}
                       for day in site.articles if site.article_path(day)[1:] not in recorded]
        violations += [{"round": "final", "kind": "archive", "problem": problem}
                       for problem in archive_problems(work / "archive")]
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    return {"signal": args.signal, "kills": args.kills, "load": args.load, "seed": args.seed,
            "articles": len(site.articles), "outcomes": dict(outcomes),
            "violations_by_kind": dict(Counter(v["kind"] for v in violations)), "violations": violations}


CLOSING = "Closing spider ("  # Scrapy's line when the spider starts to close (finished, shutdown, a limit)


def signal_violations(round_no: int, crawl: Any, code: int | None, took: float, work: Path,
                      signum: int, *, ending: bool) -> list[dict[str, Any]]:
    """What an interrupt must not do: exit late or with another code, print a traceback or worker warning, leave
    an open file. Death by the signal itself (what a shell shows as 128 + its number: 130 for SIGINT) is the
    interpreter's own way when it lands in its very first or last milliseconds. Exit 0 is right only for a run
    whose spider was closing already when the signal went (`ending`): else the signal was lost."""
    found = []
    output = crawl.output()
    if code not in ((0, 130, -signum) if ending else (130, -signum)) or took > EXIT_WITHIN:
        found.append({"round": round_no, "kind": "slow or wrong exit", "exit": code, "seconds": round(took, 1),
                      "output": output[-1500:]})
    for needle in (TRACEBACK, "worker died", "leaked semaphore"):
        if needle in output:
            found.append({"round": round_no, "kind": "traceback or warning", "needle": needle,
                          "output": output[output.find(needle):][:1500]})
    open_files = [str(p) for p in (work / "spool").rglob("*.open")]
    if open_files:
        found.append({"round": round_no, "kind": "open files", "files": open_files})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=24, help="crawls to hit (default 24)")
    parser.add_argument("--signal", choices=sorted(SIGNALS), default="KILL", help="what to send (default KILL)")
    parser.add_argument("--load", type=int, default=2, help="CPU-spinning processes meanwhile (default 2)")
    parser.add_argument("--articles", type=int, default=40, help="articles at the start (default 40)")
    parser.add_argument("--per-round", type=int, default=6, help="articles published per round (default 6)")
    parser.add_argument("--article-delay", type=float, default=0.1, help="seconds per article (default 0.1)")
    parser.add_argument("--max-delay", type=float, default=9.0, help="latest signal, seconds after start (9)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the summary here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (archive, spool, logs)")
    args = parser.parse_args()
    if args.kills < 1 or args.load < 0:
        parser.error("--kills must be at least 1 and --load at least 0")
    work = Path(tempfile.mkdtemp(prefix="newsarchive-soak-"))
    try:
        summary = soak(args, work)
    except KeyboardInterrupt:
        sys.exit("kill_soak: interrupted")
    summary["work"] = str(work) if args.keep else None
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "violations"}, indent=2))
    for violation in summary["violations"][:20]:
        print("VIOLATION", json.dumps(violation)[:600])
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if summary["violations"] else 0)


if __name__ == "__main__":
    main()
