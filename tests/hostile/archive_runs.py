"""Crawls of the slow site (tests/hostile/slow_site.py) into one archive and spool, started as an operator would
(its own session, so a signal can go to its whole process group), and what the tests read back."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.hostile.harness import leftovers
from tests.hostile.outputs import read_jsonl_gz
from tests.hostile.slow_site import SlowSite


@dataclass
class Crawl:
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def wait(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """Ours to clean up: whatever of its session is still alive."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for proc in leftovers(self.process.pid):
            with contextlib.suppress(OSError):
                os.kill(proc["pid"], signal.SIGKILL)


class Archive:
    """One archive and spool, crawled repeatedly."""

    def __init__(self, root: Path, site: SlowSite) -> None:
        self.root, self.site = root, site
        self.sites = root / "sites.yaml"
        self.sites.write_text(f"sites:\n  - name: slow\n    homepage: {site.base_url}/\n    article_patterns: "
                              "['/news/']\n    allow_private_network: true\n    delay: 0\n")
        self.runs = 0
        self.env = {**os.environ, "ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool"),
                    "NEWSARCHIVE_PROGRESS": "plain", "NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false",
                    "NEWSARCHIVE_DOWNLOAD_DELAY": "0", "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "2"}

    def start(self) -> Crawl:
        self.runs += 1
        out, err = self.root / f"run{self.runs}.stdout", self.root / f"run{self.runs}.stderr"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen([sys.executable, "-m", "crawler", "crawl", "--sites", str(self.sites)],
                                       stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, env=self.env,
                                       start_new_session=True)
        return Crawl(process, out, err)

    def open_files(self) -> list[Path]:
        return sorted(self.root.rglob("*.open"))

    def records_size(self) -> int:
        return sum(p.stat().st_size for p in (self.root / "spool").rglob("*.jsonl.gz*") if p.is_file())

    def records_written(self) -> bool:
        """A record is in the spool's records file: the extraction worker has been at work."""
        return self.records_size() > 100

    def spool_warcs(self) -> list[Path]:
        return sorted((self.root / "spool").rglob("*.warc.gz"))

    def records(self) -> list[dict[str, object]]:
        found = []
        for path in sorted((self.root / "archive" / "records").rglob("*.jsonl.gz")):
            found += read_jsonl_gz(path)
        return found


def wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("the crawl never reached the point to interrupt")


def rerun_salvages(archive: Archive) -> None:
    archive.site.delay, archive.site.hold = 0.0, None
    again = archive.start()
    code = again.wait(120)
    again.stop()
    assert code == 0, again.output()[-2500:]
    assert not archive.spool_warcs() and not archive.open_files()
    assert {r["url"] for r in archive.records()} >= set(archive.site.article_urls()), "articles lost"
