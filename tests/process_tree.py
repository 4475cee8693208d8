"""Run the CLI while sampling the peak RSS of its whole process tree (crawler, extraction workers) from /proc.

The sum over the tree is what a container's memory limit sees. A guard kills the tree past GUARD_RSS so a
regression fails the test instead of taking the (shared) machine down.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
GUARD_RSS = 4 * 1024**3
SAMPLE_SECONDS = 0.05


def process_table() -> dict[int, tuple[int, int, int]]:
    """pid → (ppid, session id, RSS bytes) of every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] not in ("Z", "X"):
            table[int(entry)] = (int(fields[1]), int(fields[3]), int(fields[21]) * PAGE_SIZE)
    return table


def tree_members(root: int, table: dict[int, tuple[int, int, int]]) -> set[int]:
    """The root, its descendants, and whatever else runs in its session (reparented workers too)."""
    members = {pid for pid, (_, sid, _) in table.items() if sid == root} | {root}
    while more := {pid for pid, (ppid, _, _) in table.items() if ppid in members} - members:
        members |= more
    return members & set(table)


@dataclass
class MeasuredRun:
    result: subprocess.CompletedProcess[str]
    peak_rss: int
    guard_tripped: bool
    process_peaks: dict[int, int]  # pid → its own peak RSS (the crawler's pid is `result.args`' process)
    crawler_pid: int

    @property
    def peak_mib(self) -> int:
        return self.peak_rss >> 20


def run_cli_measured(*args: str, env: dict[str, str], timeout: float = 600) -> MeasuredRun:
    """`newsarchive ARGS` in its own session, with the peak summed RSS of its process tree."""
    full_env = {**os.environ, "NEWSARCHIVE_PROGRESS": "plain", **env}
    process = subprocess.Popen([sys.executable, "-m", "crawler", *args], env=full_env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    peak, tripped, stopped = [0], [False], threading.Event()
    process_peaks: dict[int, int] = {}

    def sample() -> None:
        while not stopped.is_set():
            table = process_table()
            members = tree_members(process.pid, table)
            total = sum(table[pid][2] for pid in members)
            peak[0] = max(peak[0], total)
            for pid in members:
                process_peaks[pid] = max(process_peaks.get(pid, 0), table[pid][2])
            if total > GUARD_RSS:
                tripped[0] = True
                for pid in members:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            stopped.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\n[test] killed after {timeout} s"
    finally:
        stopped.set()
        sampler.join()
    for pid in tree_members(process.pid, process_table()) - {process.pid}:  # nothing may outlive the crawl
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return MeasuredRun(result, peak[0], tripped[0], process_peaks, process.pid)
