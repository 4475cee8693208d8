"""Fixtures of the hostile suite's crawl tests: a slow site served for the test, and an archive crawling it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.archive_runs import Archive
from tests.hostile.slow_site import SlowSite, serve_slow_site


@pytest.fixture
def slow_site() -> Iterator[SlowSite]:
    with serve_slow_site(SlowSite()) as site:
        yield site


@pytest.fixture
def archive(tmp_path: Path, slow_site: SlowSite) -> Archive:
    return Archive(tmp_path, slow_site)
