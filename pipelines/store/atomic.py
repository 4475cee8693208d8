"""Atomic files: written as `<name>.open`, fsynced, renamed to `<name>`, and the directory fsynced.

Anything with its final name is complete, so the spool may upload it; a killed run leaves only `.open`
files, which the spool's recovery salvages or drops. Every writer of archive files goes through here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

OPEN_SUFFIX = ".open"


def partial_path(path: Path) -> Path:
    """Where `path` is written until it is complete."""
    return path.with_name(path.name + OPEN_SUFFIX)


def fsync_dir(directory: Path) -> None:
    """Make a rename or link durable: the directory entry must reach the disk too, or a power cut loses the file."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(partial: Path, final: Path) -> None:
    """Give a complete, closed file its final name durably (its data fsynced first)."""
    with partial.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, final)
    fsync_dir(final.parent)


def close_and_publish(fh: BinaryIO, final: Path) -> None:
    """Flush, fsync and close a file written at `partial_path(final)`, then rename it into place."""
    fh.flush()
    os.fsync(fh.fileno())
    fh.close()
    os.replace(partial_path(final), final)
    fsync_dir(final.parent)


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """`with atomic_file(path) as fh:` writes `path` whole or not at all (the partial file is removed on error)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    fh = partial.open("wb")
    try:
        yield fh
    except BaseException:
        fh.close()
        partial.unlink(missing_ok=True)
        raise
    close_and_publish(fh, path)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a small file whole or not at all."""
    with atomic_file(path) as fh:
        fh.write(data)
