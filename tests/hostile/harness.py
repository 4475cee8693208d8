"""Run crawls of the hostile site inside a private network namespace and write down everything that happened.

Started by the tests as `unshare --net --mount --fork python -m tests.hostile.harness CONFIG.json`. In the
namespace only loopback exists, so whatever the crawler does, no packet leaves the machine; there the harness
adds 169.254.169.254 to `lo`, mounts its own /etc/hosts (names that resolve to private addresses), starts the
hostile site and the canary listeners, runs each crawl of the config as a subprocess in its own session (a
timeout is a hang: the whole session is killed), samples the RSS of the crawl's process tree every 0.1 s, and
writes RESULTS.json: exit codes, times, peak RSS, processes left behind, the server's log, canary hits.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.hostile.server import CANARY_LISTENERS, HOSTS_FILE, Canary, HostileSite, serve

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# Far above the 1.5 GB the tests require: only there so a crawl that inflates bombs whole cannot take the
# (shared) machine into the OOM killer. Tripping it kills the crawl and is reported.
RSS_GUARD = 10 * 1024**3


def setup_namespace(workdir: Path) -> list[str]:
    """Loopback up, the metadata address on lo, our /etc/hosts; returns what could not be set up."""
    problems = []
    for command in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", "169.254.169.254/32", "dev", "lo"]):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            problems.append(f"{' '.join(command)}: {done.stderr.strip()}")
    hosts = workdir / "hosts"
    hosts.write_text(HOSTS_FILE)
    done = subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        problems.append(f"mount --bind /etc/hosts: {done.stderr.strip()}")
    return problems


def proc_table() -> dict[int, tuple[int, int, int]]:
    """pid → (ppid, session id, rss bytes) of every live (not zombie) process we can see."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            continue
        table[int(entry)] = (int(fields[1]), int(fields[3]), int(fields[21]) * PAGE_SIZE)
    return table


def tree(root: int, table: dict[int, tuple[int, int, int]]) -> set[int]:
    """The root, its descendants, and anything else in its session."""
    members = {pid for pid, (_, sid, _) in table.items() if sid == root} | {root}
    grew = True
    while grew:
        more = {pid for pid, (ppid, _, _) in table.items() if ppid in members} - members
        members |= more
        grew = bool(more)
    return members & set(table)


class RssSampler(threading.Thread):
    """Peak of the summed RSS of a process tree, sampled every 0.1 s."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.peak_processes = root, 0, 0
        self.stopped = threading.Event()
        self.guard_tripped = False

    def run(self) -> None:
        while not self.stopped.is_set():
            table = proc_table()
            members = tree(self.root, table)
            total = sum(table[pid][2] for pid in members)
            if total > self.peak:
                self.peak, self.peak_processes = total, len(members)
            if total > RSS_GUARD and not self.guard_tripped:
                self.guard_tripped = True
                for pid in members:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            self.stopped.wait(0.1)


def leftovers(session: int) -> list[dict[str, Any]]:
    """Processes of the crawl's session still alive after it exited."""
    found = []
    for pid, (ppid, sid, rss) in proc_table().items():
        if sid == session and pid != session:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                cmdline = "?"
            found.append({"pid": pid, "ppid": ppid, "rss": rss, "cmdline": cmdline[:300]})
    return found


def run_phase(phase: dict[str, Any], workdir: Path) -> dict[str, Any]:
    stdout, stderr = workdir / f"{phase['name']}.stdout", workdir / f"{phase['name']}.stderr"
    env = {**os.environ, **phase["env"]}
    started = time.monotonic()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "crawler", *phase["args"]], stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL, env=env, cwd=phase["cwd"], start_new_session=True)
        sampler = RssSampler(process.pid)
        sampler.start()
        timed_out = False
        try:
            returncode = process.wait(timeout=phase["timeout"])
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGKILL)
            returncode = process.wait()
        duration = time.monotonic() - started
        left = leftovers(process.pid)
        deadline = time.monotonic() + 3
        while left and time.monotonic() < deadline:  # a worker may take a moment to notice its parent is gone
            time.sleep(0.2)
            left = leftovers(process.pid)
        sampler.stopped.set()
        sampler.join()
    for proc in left:  # ours: do not let them run on
        with contextlib.suppress(OSError):
            os.kill(proc["pid"], signal.SIGKILL)
    return {"name": phase["name"], "returncode": returncode, "timed_out": timed_out, "duration": duration,
            "rss_guard_tripped": sampler.guard_tripped,
            "peak_rss": sampler.peak, "peak_processes": sampler.peak_processes, "leftovers": left,
            "stdout": str(stdout), "stderr": str(stderr)}


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    workdir = Path(config["workdir"])
    problems = setup_namespace(workdir)
    site = HostileSite(Path(config["secret"]), Path(config["cache"]), config["profile"])
    server = serve(site)
    canary = Canary()
    for address, port in CANARY_LISTENERS:
        canary.listen(address, port)
    phases = []
    for number, phase in enumerate(config["phases"], 1):
        site.phase = number
        phases.append(run_phase(phase, workdir))
        time.sleep(1.0)  # let server threads of cut connections notice and log
    server.shutdown()
    canary.close()
    results = {"problems": problems + canary.unavailable, "phases": phases, "log": site.entries(),
               "canary_hits": canary.hits}
    Path(config["results"]).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
