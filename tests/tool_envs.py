"""Virtual environments for the archive tools the tests drive: pywb (replay) and py-wacz (WACZ validation).

Both pin old dependencies (pywb: redis 2, old fakeredis), so each gets its own venv, never the project's.
They are created once (that needs PyPI) and cached under ~/.cache/newsarchive-tests, or
$NEWSARCHIVE_TOOL_CACHE. Standard library only: `python3 -m tests.tool_envs` (tools/install-test-deps.sh)
pre-creates them before the project's venv exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

INSTALL_TIMEOUT = 900
COMPLETE = ".newsarchive-complete"  # written last: a venv without it is a killed install and is rebuilt


@dataclass(frozen=True)
class Tool:
    """A tool venv: its folder name under the cache, what pip installs, and the commands it must provide."""

    folder: str
    requirement: str
    commands: tuple[str, ...]


TOOLS = {
    "pywb": Tool("pywb-venv", "pywb==2.10.*", ("wb-manager", "wayback")),
    "wacz": Tool("wacz-venv", "wacz==0.6.*", ("wacz",)),
}


class ToolEnvError(Exception):
    """The tool venv could not be created; the message says why (typically: PyPI unreachable)."""


def cache_dir() -> Path:
    return Path(os.environ.get("NEWSARCHIVE_TOOL_CACHE") or Path.home() / ".cache" / "newsarchive-tests")


def tool_bin(name: str) -> Path:
    """The bin/ folder of a tool's venv, created first if needed (minutes, once per machine)."""
    tool = TOOLS[name]
    root = cache_dir() / tool.folder
    bin_dir = root / "bin"
    if (root / COMPLETE).is_file() and all((bin_dir / cmd).is_file() for cmd in tool.commands):
        return bin_dir
    shutil.rmtree(root, ignore_errors=True)
    venv.create(root, with_pip=True)
    try:
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", tool.requirement],
                       check=True, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.CalledProcessError as error:
        raise ToolEnvError(f"pip install {tool.requirement} into {root} failed: {error.stderr[-1000:]}") from error
    except subprocess.TimeoutExpired as error:
        raise ToolEnvError(f"pip install {tool.requirement} into {root} took over {INSTALL_TIMEOUT} s") from error
    missing = [cmd for cmd in tool.commands if not (bin_dir / cmd).is_file()]
    if missing:
        raise ToolEnvError(f"{tool.requirement} installed into {root} but provides no {', '.join(missing)}")
    (root / COMPLETE).touch()
    return bin_dir


if __name__ == "__main__":
    for tool_name in sys.argv[1:] or TOOLS:
        print(f"{tool_name}: {tool_bin(tool_name)}")
