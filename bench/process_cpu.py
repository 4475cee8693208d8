"""Run a Python entry point in this process and write where its CPU time and memory went, per process.

    python bench/process_cpu.py --out cpu.json crawler.cli:main crawl --sites sites.yaml

The benches time a crawl as one subprocess; this splits the cost between the crawl process itself (the reactor
thread, uploads) and its children (the extraction workers, reaped before the crawl exits), which is what says
whether work left the reactor. Written at exit: CPU seconds (user + system) and peak RSS of this process and of
its children (the largest one), and RSS samples (`--sample-every` seconds: time, RSS in bytes) so a bench can
tell growth from a peak. The entry point's exit code is this process's.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


def usage() -> dict[str, Any]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self_cpu_s": own.ru_utime + own.ru_stime, "children_cpu_s": children.ru_utime + children.ru_stime,
            "self_peak_rss": own.ru_maxrss * 1024, "children_peak_rss": children.ru_maxrss * 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sample-every", type=float, default=1.0)
    parser.add_argument("entry", help="module:function, called with no arguments (it reads sys.argv)")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    module, _, function = options.entry.partition(":")
    samples: list[tuple[float, int]] = []
    start = time.monotonic()
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(options.sample_every):
            samples.append((round(time.monotonic() - start, 2), rss_bytes()))

    def write() -> None:
        stop.set()
        options.out.write_text(json.dumps(usage() | {"rss_samples": samples}), encoding="utf-8")

    atexit.register(write)
    threading.Thread(target=sample, daemon=True, name="rss-sampler").start()
    sys.argv = [options.entry, *options.args]
    entry = getattr(importlib.import_module(module), function)
    sys.exit(entry())


if __name__ == "__main__":  # spawned extraction workers import this module again: nothing to do then
    main()
