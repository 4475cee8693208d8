"""Atomic files: written as `<name>.open`, fsynced, renamed to `<name>`, and the directory fsynced.

Anything with its final name is complete, so the spool may upload it; a killed run leaves only `.open`
files, which the spool's recovery salvages (`salvage`: the complete part kept) or drops. Every writer of
archive files goes through here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pipelines.store.members import GZIP_MAGIC, complete_prefix_length

log = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
TEXT_SUFFIXES = (".cdxj", ".jsonl", ".ndjson", ".txt")  # line-oriented: complete up to the last \n


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


def salvage(open_path: Path) -> None:
    """Keep the complete prefix of an interrupted file under its final name; drop it if empty."""
    final = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
    with open_path.open("r+b") as fh:
        size = os.fstat(fh.fileno()).st_size
        magic = fh.read(len(GZIP_MAGIC))
        if magic == GZIP_MAGIC:
            keep = complete_prefix_length(fh)
        elif final.name.endswith(TEXT_SUFFIXES) or size == 0:
            keep = _complete_lines_length(fh, size)
        else:
            log.warning("spool: leaving %s alone: unknown format, cannot tell what is complete", open_path)
            return
        if keep < size:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
    if keep == 0:
        log.warning("spool: %s held no complete record; removed", open_path)
        open_path.unlink()
        return
    if keep < size:
        log.warning("spool: %s: kept %d complete bytes, dropped a cut-off tail of %d", open_path, keep, size - keep)
    try:
        os.link(open_path, final)  # never clobber: a finished file of the same name wins
    except FileExistsError:
        log.error("spool: both %s and %s exist; leaving the .open file for an operator", open_path, final)
        return
    open_path.unlink()


def _complete_lines_length(fh: BinaryIO, size: int) -> int:
    """Length up to and including the last newline (0 if there is none)."""
    end = size
    while end > 0:
        start = max(0, end - 64 * 1024)
        fh.seek(start)
        block = fh.read(end - start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0
