"""The image's inputs stay pinned: every dependency in the lock, the base image by digest (docs/deployment.md)."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def test_constraints_lock_every_dependency() -> None:
    """A dependency added to pyproject without `make constraints` would go into the image unpinned."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]}
    locked = {_name(line) for line in (ROOT / "constraints.txt").read_text().splitlines()
              if line and not line.startswith("#")}
    missing = sorted(wanted - locked)
    assert not missing, f"not in constraints.txt: {missing}; run `make constraints`"


@pytest.mark.parametrize("path", ["Dockerfile"])
def test_base_image_is_pinned_by_digest(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    default = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, re.M)
    assert default and re.search(r"@sha256:[0-9a-f]{64}$", default[1]), "BASE_IMAGE must default to a digest"
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert stages and all(stage == "${BASE_IMAGE}" for stage in stages), f"every stage on the pinned base: {stages}"
