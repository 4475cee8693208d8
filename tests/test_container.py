"""The container image: it builds, and `newsarchive demo` crawls into a bind-mounted /data as a non-root user.

Slow (an image build and a crawl), so it is marked `container`, which pyproject deselects by default:
run it with `pytest -m container tests/test_container.py`. It uses podman; on machines without podman or
the base image it first runs ../shared/tools/container-sandbox.sh (root only), which installs podman and
builds a stand-in python:3.11-slim, since base images cannot be pulled there. When that is not possible
the tests skip, or fail under CI=true so that CI never passes without having run them.
"""

import gzip
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_SCRIPT = ROOT.parent / "shared" / "tools" / "container-sandbox.sh"
SANDBOX_CONF = Path("/etc/containers/sandbox.conf")
BASE_IMAGE = "docker.io/library/python:3.11-slim"
IMAGE = "localhost/newsarchive:test"
IMAGE_UID = 10001  # the Dockerfile's `newsarchive` user
BUILD_TIMEOUT = 1200
DEMO_TIMEOUT = 600


class Podman:
    """podman with the switches this machine needs (the sandbox refuses default rlimits and networking)."""

    def __init__(self) -> None:
        self.env = dict(os.environ)
        self.global_args: list[str] = []
        if SANDBOX_CONF.exists():
            self.env["CONTAINERS_CONF"] = str(SANDBOX_CONF)
            self.global_args = ["--runtime", "runc"]

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = ["podman", *self.global_args, *args]
        try:
            return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"`{' '.join(command)}` did not finish within {timeout} s:\n{_tail(exc.stdout, exc.stderr)}")

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`podman run --rm` in the host network (the sandbox has no container networking)."""
        return self("run", "--rm", "--network", "host", *args, timeout=timeout)


def unavailable(reason: str) -> None:
    """Missing tools are a skip on a developer's machine but a failure in CI, which must run these tests."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"container tests cannot run (CI=true): {reason}")
    pytest.skip(reason)


def _tail(stdout: str | bytes | None, stderr: str | bytes | None, lines: int = 40) -> str:
    text = "\n".join(s.decode(errors="replace") if isinstance(s, bytes) else s for s in (stdout, stderr) if s)
    return "\n".join(text.splitlines()[-lines:])


def _check(result: subprocess.CompletedProcess[str], what: str) -> subprocess.CompletedProcess[str]:
    """Fail with the end of the output, which is where the reason is, instead of a huge repr."""
    if result.returncode != 0:
        pytest.fail(f"{what} failed (exit {result.returncode}):\n{_tail(result.stdout, result.stderr)}")
    return result


def _read_jsonl_gz(path: Path) -> list[object]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def _base_image_present() -> bool:
    return bool(shutil.which("podman")) and Podman()("image", "exists", BASE_IMAGE).returncode == 0


@pytest.fixture(scope="module")
def podman() -> Podman:
    """podman ready to build: installed, and the base image present (set up by the sandbox script if not)."""
    if _base_image_present():
        return Podman()
    if not SANDBOX_SCRIPT.exists():
        unavailable(f"podman or {BASE_IMAGE} is missing, and there is no {SANDBOX_SCRIPT} to set them up")
    if os.geteuid() != 0:
        unavailable(f"podman or {BASE_IMAGE} is missing; run {SANDBOX_SCRIPT} as root to set them up")
    try:
        setup = subprocess.run(["bash", str(SANDBOX_SCRIPT)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        unavailable(f"{SANDBOX_SCRIPT} could not set up podman: {exc}")
    if setup.returncode != 0 or not _base_image_present():
        unavailable(
            f"{SANDBOX_SCRIPT} could not set up podman (exit {setup.returncode}):\n"
            f"{_tail(setup.stdout, setup.stderr)}"
        )
    return Podman()


@pytest.fixture(scope="module")
def image(podman: Podman) -> Iterator[str]:
    """The project's image, built from the working tree; a build failure is a test failure, never a skip."""
    build = podman("build", "--pull=never", "--network", "host", "-t", IMAGE, str(ROOT), timeout=BUILD_TIMEOUT)
    _check(build, "podman build")
    yield IMAGE


def test_help_runs(podman: Podman, image: str) -> None:
    result = _check(podman.run(image), "newsarchive --help")
    assert "demo" in result.stdout and "crawl" in result.stdout


def test_image_runs_as_non_root_in_data_without_build_leftovers(podman: Podman, image: str) -> None:
    script = "id -u; pwd; echo $ARCHIVE_URI; ls -A /src"
    result = _check(podman.run("--entrypoint", "sh", image, "-c", script), script)
    uid, cwd, archive_uri, *sources = result.stdout.split()
    assert (uid, cwd, archive_uri) == (str(IMAGE_UID), "/data", "/data/archive")
    assert not {".venv", ".git", "tests", "archive"} & set(sources), f".dockerignore let in: {sources}"


def test_demo_crawls_into_the_mounted_archive(podman: Podman, image: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if os.geteuid() == 0:
        data.chmod(0o777)  # rootful podman: the image's uid 10001 must be able to write the host directory
        userns: list[str] = []
    else:
        userns = [f"--userns=keep-id:uid={IMAGE_UID},gid={IMAGE_UID}"]  # rootless: the host user becomes 10001
    _check(podman.run(*userns, "--volume", f"{data}:/data", image, "demo", timeout=DEMO_TIMEOUT), "newsarchive demo")

    archive = data / "archive"
    warcs = sorted(archive.glob("warc/**/*.warc.gz"))
    records = sorted(archive.glob("records/**/*.jsonl.gz"))
    created = sorted(path.relative_to(data) for path in data.rglob("*"))
    assert warcs, f"no WARC files under {archive}/warc; the container wrote: {created}"
    assert records, f"no records files under {archive}/records; the container wrote: {created}"
    assert not list(data.rglob("*.open")), f"unfinished files left behind: {created}"
    for warc in warcs:
        with gzip.open(warc) as stream:
            assert stream.read(8) == b"WARC/1.1", f"{warc} does not start with a WARC/1.1 record"
    assert any(_read_jsonl_gz(path) for path in records), "records files hold no records"
    owners = {path.stat().st_uid for path in data.rglob("*")}
    assert 0 not in owners, f"files written by root: the demo did not run as the image's non-root user ({owners})"
