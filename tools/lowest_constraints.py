"""The oldest versions pyproject allows, as pip constraints; `--check` proves an environment has exactly them.

pip resolves to the newest versions and has no "lowest" mode (uv's `--resolution lowest-direct`), so `make
test-oldest` pins every direct runtime dependency to its `>=` lower bound with this file's output and lets
pip resolve the rest as it would for a user. A lower bound that no longer installs or passes the tests is
raised in pyproject.toml: the range says what is tested.

    python3 tools/lowest_constraints.py            # `name==lower; marker` lines on stdout
    .venv-oldest/bin/python tools/lowest_constraints.py --check
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# name[extras] >=lower,<upper ; marker   (the shapes pyproject.toml uses)
REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*(?P<spec>[^;]*?)\s*(?:;\s*(?P<marker>.+))?$")
LOWER = re.compile(r">=\s*(?P<version>[0-9][^,\s]*)")


def lower_bounds(pyproject: Path = PYPROJECT) -> list[tuple[str, str, str | None]]:
    """(name, lower bound, marker) of every runtime dependency that has a `>=` bound."""
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    bounds = []
    for requirement in dependencies:
        match = REQUIREMENT.match(requirement)
        if match is None:
            raise SystemExit(f"{pyproject}: cannot read the dependency {requirement!r}")
        lower = LOWER.search(match["spec"])
        if lower is None:
            raise SystemExit(f"{pyproject}: {requirement!r} has no lower bound (>=) to test; add one")
        bounds.append((match["name"], lower["version"], match["marker"]))
    return bounds


def _applies(marker: str | None) -> bool:
    """Whether a `python_version<'X.Y'` marker (the only kind pyproject uses) holds for this interpreter."""
    if marker is None:
        return True
    found = re.fullmatch(r"python_version\s*<\s*['\"](\d+)\.(\d+)['\"]", marker.strip())
    if found is None:
        raise SystemExit(f"{PYPROJECT}: tools/lowest_constraints.py cannot evaluate the marker {marker!r}")
    return sys.version_info[:2] < (int(found[1]), int(found[2]))


def _release(version: str) -> tuple[int, ...]:
    """1.2 and 1.2.0 are one release (pip's `==1.2` accepts 1.2.0)."""
    parts = [int(part) for part in re.findall(r"\d+", version)]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def check() -> int:
    """Exit 1 naming every installed direct dependency that is not at its lower bound."""
    wrong = []
    for name, lower, marker in lower_bounds():
        if not _applies(marker):
            continue
        installed = metadata.version(name)
        if _release(installed) != _release(lower):
            wrong.append(f"{name} {installed} (lower bound {lower})")
    if wrong:
        print("not at the lower bound: " + ", ".join(wrong), file=sys.stderr)
        return 1
    print(f"all {len(lower_bounds())} direct dependencies at their lower bounds")
    return 0


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        return check()
    for name, lower, marker in lower_bounds():
        print(f"{name}=={lower}" + (f"; {marker}" if marker else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
