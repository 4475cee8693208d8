"""podman for the container tests: the switches these machines need, one image build shared by every test.

The container tests are what `make container-test` exists for, so a missing podman or base image fails them
with the command that fixes it (never a skip that exits 0). Base images cannot be pulled on the test
machines: ../shared/tools/container-sandbox.sh installs podman and builds a local stand-in of the base
image, which the build uses through `--build-arg BASE_IMAGE=` instead of the Dockerfile's pinned digest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_SCRIPT = ROOT.parent / "shared" / "tools" / "container-sandbox.sh"
SANDBOX_CONF = Path("/etc/containers/sandbox.conf")
# The local image the sandbox script builds; a real machine pulls the Dockerfile's pinned digest instead.
BASE_IMAGE = os.environ.get("NEWSARCHIVE_TEST_BASE_IMAGE", "docker.io/library/python:3.11-slim")
IMAGE = "localhost/newsarchive:test"
IMAGE_UID = 10001  # the Dockerfile's `newsarchive` user
BUILD_TIMEOUT = 1200

HOW_TO_INSTALL = (
    "install podman (Debian/Ubuntu: apt-get install podman; see https://podman.io/docs/installation) and make "
    f"{BASE_IMAGE} available (`podman pull {BASE_IMAGE}`); on machines that cannot pull images run "
    f"`sudo bash {SANDBOX_SCRIPT}`, which installs podman and builds a stand-in base image"
)


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
            pytest.fail(f"`{' '.join(command)}` did not finish within {timeout} s:\n{tail(exc.stdout, exc.stderr)}")

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`podman run --rm` in the host network (the sandbox has no container networking)."""
        return self("run", "--rm", "--network", "host", *args, timeout=timeout)

    def build(self, context: Path, tag: str, *args: str) -> None:
        """Build (layers cached between runs) from the local base; a failure is a test failure, never a skip."""
        started = time.monotonic()
        check(self("build", "--pull=never", "--network", "host", "--layers", "--build-arg",
                   f"BASE_IMAGE={BASE_IMAGE}", *args, "-t", tag, str(context), timeout=BUILD_TIMEOUT),
              f"podman build of {tag}")
        print(f"built {tag} in {time.monotonic() - started:.0f} s")


def tail(stdout: str | bytes | None, stderr: str | bytes | None, lines: int = 40) -> str:
    text = "\n".join(s.decode(errors="replace") if isinstance(s, bytes) else s for s in (stdout, stderr) if s)
    return "\n".join(text.splitlines()[-lines:])


def check(result: subprocess.CompletedProcess[str], what: str) -> subprocess.CompletedProcess[str]:
    """Fail with the end of the output, which is where the reason is, instead of a huge repr."""
    if result.returncode != 0:
        pytest.fail(f"{what} failed (exit {result.returncode}):\n{tail(result.stdout, result.stderr)}")
    return result


def ready_podman() -> Podman:
    """podman that can build, or a failure that says how to get there."""
    if shutil.which("podman") is None:
        pytest.fail(f"podman is not installed: {HOW_TO_INSTALL}")
    podman = Podman()
    if podman("image", "exists", BASE_IMAGE).returncode != 0:
        pytest.fail(f"the base image {BASE_IMAGE} is missing: {HOW_TO_INSTALL}")
    return podman


def git_revision() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_project_image(podman: Podman) -> str:
    """The project's image from the working tree, with the OCI label build args CI would pass."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    podman.build(ROOT, IMAGE, "--build-arg", f"VERSION={version}", "--build-arg", f"REVISION={git_revision()}",
                 "--build-arg", f"CREATED={created}")
    return IMAGE
