"""`newsarchive warc verify` and `warc ls` on the WARC of a real demo crawl, intact and damaged."""

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ArchiveContents]]:
    archive = tmp_path_factory.mktemp("verify") / "archive"
    result = run_cli("demo", env={"ARCHIVE_URI": str(archive)})
    assert result.returncode == 0, result.stderr[-2000:]
    yield archive, ArchiveContents.read(open_store(str(archive)))


def _warc_key(contents: ArchiveContents) -> str:
    (key,) = contents.warcs
    return key


def test_intact_warc_passes_by_key_and_by_path(crawled: tuple[Path, ArchiveContents]) -> None:
    archive, contents = crawled
    key = _warc_key(contents)
    result = run_cli("warc", "verify", key, str(archive / key), env={"ARCHIVE_URI": str(archive)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("digests and lint pass") == 2


def test_changed_payload_fails_the_digest_check(crawled: tuple[Path, ArchiveContents], tmp_path: Path) -> None:
    archive, contents = crawled
    pointer = contents.records[0]["warc"]
    data = (archive / pointer["key"]).read_bytes()
    start, end = pointer["offset"], pointer["offset"] + pointer["length"]
    record = bytearray(gzip.decompress(data[start:end]))
    record[-10] ^= 0xFF  # one byte of the stored (gzip) body, so lengths stay right and only digests can tell
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(data[:start] + gzip.compress(bytes(record)) + data[end:])
    result = run_cli("warc", "verify", str(damaged))
    assert result.returncode == 1
    assert f"FAIL {damaged}" in result.stdout and "digest: " in result.stdout
    assert contents.records[0]["url"] in result.stdout and "1 of 1 WARC file(s) failed" in result.stderr


def test_missing_warcinfo_fails_the_lint(crawled: tuple[Path, ArchiveContents], tmp_path: Path) -> None:
    archive, contents = crawled
    data = (archive / _warc_key(contents)).read_bytes()
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    inflater.decompress(data)
    headless = tmp_path / "headless.warc.gz"
    headless.write_bytes(inflater.unused_data)  # everything after the first member, the warcinfo record
    result = run_cli("warc", "verify", str(headless))
    assert result.returncode == 1
    assert "lint: " in result.stdout and "warcinfo" in result.stdout and "digest: " not in result.stdout


def test_unknown_file_or_key_exits_4(crawled: tuple[Path, ArchiveContents]) -> None:
    archive, _ = crawled
    result = run_cli("warc", "verify", "warc/2000/01/01/none.warc.gz", env={"ARCHIVE_URI": str(archive)})
    assert result.returncode == 4 and "warc/2000/01/01/none.warc.gz" in result.stderr
    assert run_cli("warc", "verify", "/no/such/../file.warc.gz", "--archive", str(archive)).returncode == 4


def test_ls_lists_warcs_with_size_and_day(crawled: tuple[Path, ArchiveContents]) -> None:
    archive, contents = crawled
    key = _warc_key(contents)
    day = "-".join(key.split("/")[1:4])
    listed = run_cli("warc", "ls", "--from", day, "--to", day, env={"ARCHIVE_URI": str(archive)})
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == [day, f"{(archive / key).stat().st_size:,}", key]
    later = run_cli("warc", "ls", "--from", "2999-01-01", env={"ARCHIVE_URI": str(archive)})
    assert later.returncode == 0 and later.stdout == "" and "0 WARC file(s)" in later.stderr
    assert run_cli("warc", "ls", "--from", "yesterday", "--archive", str(archive)).returncode == 2


def test_gzipped_page_is_not_a_warc_in_one_line(tmp_path: Path) -> None:
    """A gzip file that holds no WARC (a saved page) is one verdict line, like a plain HTML file: no traceback,
    no warcio warnings."""
    page = tmp_path / "page.warc.gz"
    page.write_bytes(gzip.compress(b"<!DOCTYPE html><html><body>a saved page</body></html>\n" * 50))
    result = run_cli("warc", "verify", str(page))
    assert result.returncode == 1
    assert result.stdout == f"FAIL {page}: not a WARC file (a gzip file, but it does not hold a WARC record)\n"
    assert result.stderr == "newsarchive: 1 of 1 WARC file(s) failed verification\n"


def test_unreadable_first_record_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    """warcio failing on the first record (here: an HTTP status line it cannot parse) is a problem at offset 0;
    warcio's own offset lookup raises when no record was read."""
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Type: application/http; "
                                  b"msgtype=response\r\nContent-Length: 10\r\n\r\nHTTP/1.1 x"))
    result = run_cli("warc", "verify", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"FAIL {bad}" in result.stdout and "  digest: unreadable at @0: " in result.stdout
