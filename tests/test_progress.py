"""The progress display: a rich line on terminals, plain log lines elsewhere, with the numbers operators watch."""

import io

from crawler.extensions.progress import human_bytes, progress_line, progress_mode


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_line_shows_pages_articles_bytes_errors_and_rate() -> None:
    stats = {"downloader/response_count": 120, "newsarchive/articles": 17, "downloader/response_bytes": 2_500_000,
             "log_count/ERROR": 1, "downloader/exception_count": 2}
    assert progress_line(stats, elapsed=10.0) == "pages 120 · articles 17 · 2.5 MB · errors 3 · 12.0 pages/s"


def test_mode_follows_the_terminal() -> None:
    assert progress_mode("auto", FakeTty()) == "rich"
    assert progress_mode("auto", io.StringIO()) == "plain"
    assert progress_mode("off", FakeTty()) == "off"


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (512, 1_500, 3_200_000, 4_000_000_000)] == ["512 B", "1.5 kB", "3.2 MB", "4.0 GB"]
