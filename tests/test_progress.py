"""The progress display: a rich line on terminals, plain log lines elsewhere, with the numbers operators watch."""

import io
import json
import re
from pathlib import Path

from crawler.extensions.progress import human_bytes, progress_line, progress_mode
from tests.conftest import run_cli


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_line_counts_what_the_run_report_counts() -> None:
    stats = {"downloader/response_count": 120, "newsarchive/responses_2xx": 30, "newsarchive/responses_3xx": 5,
             "newsarchive/responses_4xx": 84, "newsarchive/responses_5xx": 1, "newsarchive/network_failures": 2,
             "newsarchive/articles": 17, "newsarchive/records": 16, "newsarchive/extraction_failures": 1,
             "newsarchive/errors": 3, "downloader/response_bytes": 2_500_000}
    assert progress_line(stats, elapsed=70.0, queued=12) == (
        "120 responses (2xx 30 · 3xx 5 · 4xx 84 · 5xx 1) · 2 network failures · 17 articles · 16 records · "
        "1 extraction failures · 0 upload failures · 3 errors · 2.5 MB · 01:10 · queue 12 · 1.7 pages/s")


def test_mode_follows_the_terminal() -> None:
    assert progress_mode("auto", FakeTty()) == "rich"
    assert progress_mode("auto", io.StringIO()) == "plain"
    assert progress_mode("off", FakeTty()) == "off"


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (512, 1_500, 3_200_000, 4_000_000_000)] == ["512 B", "1.5 kB", "3.2 MB", "4.0 GB"]


def test_per_site_line_adds_up_as_the_run_line_does(tmp_path: Path) -> None:
    """A site's line says as many responses as its status classes add up to (robots.txt included, as in its
    classes and in the server's log), so with one site it says what the run line and the report say."""
    archive = tmp_path / "archive"
    result = run_cli("demo", env={"ARCHIVE_URI": str(archive), "NEWSARCHIVE_PROGRESS_PER_SITE": "true"})
    assert result.returncode == 0, result.stderr[-2000:]
    site_line = re.compile(r"^  demo-news: (\d+) responses \(2xx (\d+) · 3xx (\d+) · 4xx (\d+) · 5xx (\d+)\)", re.M)
    *_, last = site_line.findall(result.stderr)
    total, *classes = map(int, last)
    [report_file] = (archive / "runs").iterdir()
    assert total == sum(classes) == json.loads(report_file.read_text())["counts"]["responses"]
