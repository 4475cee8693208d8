"""File-system durability helpers shared by every writer that renames finished files into place."""

import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename or link durable: the directory entry must reach the disk too, or a power cut loses the file."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
