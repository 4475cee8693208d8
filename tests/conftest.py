"""Shared fixtures: the demo site, an S3 server over HTTP, and real CLI runs in subprocesses.

Crawls run as `newsarchive` subprocesses: that is how users run them, and Twisted's reactor cannot be
restarted inside one pytest process.
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crawler.demo.server import serve_demo_site

if TYPE_CHECKING:
    from tests.podman import Podman

STRICT = os.environ.get("NEWSARCHIVE_STRICT_TESTS") == "1" or os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Skip when a real part can't run here, but fail in CI (NEWSARCHIVE_STRICT_TESTS=1)."""
    if not condition:
        if STRICT:
            pytest.fail(f"required for CI: {reason}")
        pytest.skip(reason)


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `newsarchive ARGS` as a user would, with a clean spool per test unless env says otherwise."""
    full_env = {**os.environ, "NEWSARCHIVE_PROGRESS": "plain", **(env or {})}
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout, check=False)


def dumped_stats(output: str, prefix: str) -> dict[str, int]:
    """Counters from Scrapy's end-of-run stats dump in a crawl's log, by the name after `prefix`."""
    return {name: int(value) for name, value in re.findall(rf"'{re.escape(prefix)}([\w/]+)': (\d+)", output)}


@pytest.fixture(scope="session")
def demo_site() -> Iterator[str]:
    with serve_demo_site() as base_url:
        yield base_url


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the per-site golden expectations (tests/fixtures/sites/*/expected.json)")


@pytest.fixture(scope="session")
def podman() -> "Podman":
    """podman ready to build (the container tests fail, never skip, without it: tests/podman.py)."""
    from tests.podman import ready_podman

    return ready_podman()


@pytest.fixture(scope="session")
def project_image(podman: "Podman") -> str:
    """The project's image, built once per session and shared by the container and compose tests."""
    from tests.podman import build_project_image

    return build_project_image(podman)
