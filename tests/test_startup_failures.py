"""Every failure before the first request is one line naming the thing and the fix, a documented exit code (2:
configuration, 6: a service that did not answer, 1: a crawl state that cannot be read), no traceback, no run
report, and no request to the site. An unreadable crawl state stops the crawl instead of fetching every archived
article again."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.exit_codes import ExitCode
from tests.crash_checks import TRACEBACK
from tests.fixture_news_site import FixtureSite, serve_fixture_site, sites_yaml
from tests.s3_server import create_bucket, moto_s3_server

NO_AWS: dict[str, str | None] = {  # None: unset
    "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None, "AWS_PROFILE": None,
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": None, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None}


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[Path]:
    """A directory nobody may write into, root included (the tests run as root, for whom modes mean nothing)."""
    path.mkdir(parents=True, exist_ok=True)
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


UNREACHABLE_S3 = {"ARCHIVE_URI": "s3://newsarchive-test/archive", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
                  "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_MAX_ATTEMPTS": "1",
                  "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}


def crawl_fails(tmp_path: Path, env: dict[str, str | None], names: str, code: ExitCode) -> None:
    """The crawl exits `code` with one line naming `names`, and nothing reached the site or the archive."""
    site = FixtureSite()
    tmp_path.mkdir(parents=True, exist_ok=True)
    with serve_fixture_site(site) as base:
        (tmp_path / "sites.yaml").write_text(sites_yaml(base))
        merged = {**os.environ, "ARCHIVE_URI": str(tmp_path / "archive"),
                  "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), "NEWSARCHIVE_PROGRESS": "off", **env}
        full_env = {name: value for name, value in merged.items() if value is not None}
        done = subprocess.run([sys.executable, "-m", "crawler", "crawl", "--sites", str(tmp_path / "sites.yaml")],
                              capture_output=True, text=True, env=full_env, timeout=120, check=False)
    output = done.stdout + done.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    assert done.returncode == code, f"exit {done.returncode}\n{output[-3000:]}"
    assert TRACEBACK not in output, output[-3000:]
    assert len(lines) == 1 and names in lines[0] and lines[0].startswith("newsarchive: "), lines
    assert site.hits == [], "a request reached the site"
    assert not (tmp_path / "archive" / "runs").exists(), "a run report was written"


def test_spool_that_cannot_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    crawl_fails(tmp_path, {"NEWSARCHIVE_SPOOL": str(tmp_path / "a-file" / "spool")}, str(tmp_path / "a-file"),
                ExitCode.USAGE)


def test_spool_not_writable_like_a_container_mount_of_another_owner(tmp_path: Path) -> None:
    with immutable(tmp_path / "data") as data:
        crawl_fails(tmp_path, {"NEWSARCHIVE_SPOOL": str(data / "spool")}, "NEWSARCHIVE_SPOOL", ExitCode.USAGE)


def test_archive_directory_not_writable(tmp_path: Path) -> None:
    with immutable(tmp_path / "archive"):
        crawl_fails(tmp_path, {}, f"ARCHIVE_URI {tmp_path / 'archive'}", ExitCode.USAGE)


def test_state_directory_unusable(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    crawl_fails(tmp_path, {"NEWSARCHIVE_STATE_DIR": str(tmp_path / "a-file" / "state")}, "NEWSARCHIVE_STATE_DIR",
                ExitCode.USAGE)


def test_unreadable_crawl_state_stops_the_crawl(tmp_path: Path) -> None:
    versions = tmp_path / "archive" / "state" / "seen"
    versions.mkdir(parents=True)
    (versions / "20260101T000000Z-aaaaaaaa.sqlite.gz").write_bytes(gzip.compress(b"not a database"))
    (versions / "20260102T000000Z-bbbbbbbb.sqlite.gz").write_bytes(b"\x1f\x8b\x08\x00 torn")
    crawl_fails(tmp_path, {}, "state/seen/", ExitCode.FAILURE)


def test_redis_unreachable(tmp_path: Path) -> None:
    crawl_fails(tmp_path, {"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL", ExitCode.UNAVAILABLE)


def test_redis_url_that_is_not_one(tmp_path: Path) -> None:
    crawl_fails(tmp_path, {"REDIS_URL": "mysql://127.0.0.1/0"}, "REDIS_URL", ExitCode.USAGE)


def test_s3_endpoint_unreachable(tmp_path: Path) -> None:
    crawl_fails(tmp_path, dict(UNREACHABLE_S3), "http://127.0.0.1:1", ExitCode.UNAVAILABLE)


@pytest.mark.s3
def test_s3_bucket_missing_or_no_credentials(tmp_path: Path) -> None:
    with moto_s3_server() as endpoint:
        bucket = create_bucket(endpoint)
        crawl_fails(tmp_path / "missing", {"ARCHIVE_URI": "s3://no-such-bucket-here/archive"}, "no-such-bucket-here",
                    ExitCode.USAGE)
        crawl_fails(tmp_path / "anonymous", {"ARCHIVE_URI": f"s3://{bucket}/archive", **NO_AWS}, "AWS credentials",
                    ExitCode.USAGE)


@pytest.mark.parametrize("variable, value", [("NEWSARCHIVE_DEPTH_LIMIT", "abc"), ("NEWSARCHIVE_DEPTH_LIMT", "3")])
def test_bad_environment_value(tmp_path: Path, variable: str, value: str) -> None:
    crawl_fails(tmp_path, {variable: value}, variable, ExitCode.USAGE)



@pytest.mark.parametrize("command", [["status"], ["warc", "ls"], ["show", "http://x.example/"], ["reextract"],
                                     ["export", "records", "--format", "jsonl", "--output", "out.jsonl"],
                                     ["import", "page.warc.gz"]])
def test_every_command_says_the_same_of_an_unreachable_s3(tmp_path: Path, command: list[str]) -> None:
    """Same cause, same exit code and one line, whichever command meets it; nothing claims a run report."""
    (tmp_path / "page.warc.gz").write_bytes(gzip.compress(b"WARC/1.1\r\n\r\n"))
    env = {**os.environ, "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), **UNREACHABLE_S3}
    done = subprocess.run([sys.executable, "-m", "crawler", *command], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == ExitCode.UNAVAILABLE, lines
    assert len(lines) == 1 and "http://127.0.0.1:1" in lines[0] and lines[0].startswith("newsarchive: "), lines
