"""Machine-readable bench output: each extraction bench owns one section of a shared JSON file.

`extract_body.py --json F`, `extract_metadata.py --json F` and `extract_speed.py --json F` each replace
only their own section ("body", "metadata", "speed") of F, so one file holds a whole baseline and
`extract_report.py F` can regenerate the README tables from it.
"""

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("trafilatura", "readability-lxml", "lxml", "htmldate")


def add_output_arguments(parser: argparse.ArgumentParser, section: str) -> None:
    """--json (this bench's section of a shared file) and --results (per-page JSONL folder)."""
    parser.add_argument("--json", type=Path, help=f"write every figure to this file's '{section}' section")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results", help="per-page JSONL folder")


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def run_info() -> dict[str, Any]:
    """What a figure was measured on: commit (and whether the tree had changes), command, library versions."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "libraries": {name: _version(name) for name in LIBRARIES},
    }


def read_document(path: Path) -> dict[str, Any]:
    """The JSON object in `path` ({} when it does not exist yet); exits with one line when it is not one.

    The benches call it before they start too, so a bad --json target fails in a second, not after the run."""
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        sys.exit(f"--json {path} is not a readable JSON file ({error}): give another file or delete it")
    if not isinstance(document, dict):
        sys.exit(f"--json {path} holds no JSON object: give another file or delete it")
    return document


def write_section(path: Path, section: str, data: dict[str, Any]) -> None:
    """Replace `section` of the JSON object in `path` (created if missing), keeping the other sections."""
    document = read_document(path)
    document[section] = {"run": run_info(), **data}
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as error:
        sys.exit(f"cannot write --json {path} ({error}): give a writable path")
