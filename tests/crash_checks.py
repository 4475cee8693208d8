"""Crawls that get killed or interrupted, and what they must leave behind, checked one way by the tests and by
bench/kill_soak.py: the records a killed run had written (the next run must fetch none of those articles
again), the processes of the crawl (none may outlive it), and an archive in which every record points at its
capture and no two records share an id.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipelines.records.lookup import archived_response
from pipelines.store.factory import open_store
from pipelines.store.members import complete_prefix_length

TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Crawl:
    """A `newsarchive crawl` in its own session (so a signal can go to its process group, as a terminal's)."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal_group(self, signum: int) -> None:
        os.killpg(self.pid, signum)

    def kill(self) -> None:
        """kill -9 of the crawl process alone: its children are left to fend for themselves."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.process.wait()

    def clean_up(self) -> None:
        """Whatever of the crawl's session is still alive (after a failed test): gone."""
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait()
        for pid, _ in session_processes(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def start_crawl(sites: Path, root: Path, env: dict[str, str], name: str = "crawl") -> Crawl:
    """`newsarchive crawl --sites SITES` into root/archive with the spool root/spool, output to root/NAME.log."""
    log = root / f"{name}.log"
    full_env = {**os.environ, "ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool"),
                "NEWSARCHIVE_PROGRESS": "plain", **env}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sites", str(sites)],
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env,
                                   start_new_session=True)
    return Crawl(process, log)


def spool_records(spool: Path) -> list[dict[str, Any]]:
    """The complete records in the spool's records files (half-written `.open` ones included): what a killed
    run had written, as the next run's salvage will keep it."""
    records = []
    for path in sorted(spool.rglob("*.jsonl.gz*")):
        try:
            with path.open("rb") as fh:
                keep = complete_prefix_length(fh)
                fh.seek(0)
                complete = fh.read(keep)
        except FileNotFoundError:  # uploaded meanwhile
            continue
        with contextlib.suppress(OSError, EOFError, zlib.error):
            records += [json.loads(line) for line in gzip.decompress(complete).splitlines() if line.strip()]
    return records


def record_paths(records: list[dict[str, Any]]) -> set[str]:
    """URL paths (with query) a record's article is reached by: as fetched and as first requested."""
    return {urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")
            for record in records for url in (record["url"], record["requested_url"])}


def session_processes(session: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes of a session other than its leader: what a crawl started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == session:
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append((int(entry.name), cmdline[:200]))
    return found


def processes_left(session: int, within: float) -> list[tuple[int, str]]:
    """The session's processes still alive `within` seconds from now (at once, if none is)."""
    deadline = time.monotonic() + within
    while (left := session_processes(session)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def archive_records(archive: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(archive.glob("records/**/*.jsonl.gz")):
        records += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines() if line.strip()]
    return records


def archive_problems(archive: Path) -> list[str]:
    """Records sharing an id, and records whose capture cannot be read back from the archive."""
    store = open_store(str(archive))
    records = archive_records(archive)
    problems = [f"{count} records with id {record_id}"
                for record_id, count in Counter(r["id"] for r in records).items() if count > 1]
    for record in records:
        try:
            archived_response(store, record)
        except Exception as error:  # any way of not reading it back is a lost capture
            problems.append(f"the capture of {record['url']} cannot be read back: {error}")
    return problems


def wait_for(condition: Any, timeout: float = 60.0, what: str = "the crawl to get there") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
