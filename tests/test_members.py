"""Splitting a file into gzip members when one member inflates to many steps from a few compressed bytes."""

from __future__ import annotations

import gzip
import io

import pytest

from pipelines.store.members import INFLATE_STEP, complete_prefix_length, iter_members

# One WARC record of an endless stream cut at 50 MiB compresses about 1000:1: its member inflates in many steps,
# all from the first compressed piece the reader feeds, and the next member's bytes follow in that same piece.
BIG = b"<p>" + b"endless stream of words " * 2700 + b"</p>\n"
BIG = BIG * (8 * INFLATE_STEP // len(BIG))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("keep_data", [True, False])
def test_member_of_many_inflate_steps_is_followed_by_the_next(keep_data: bool) -> None:
    first, second = gzip.compress(BIG), gzip.compress(b"the next record")
    members = list(iter_members(io.BytesIO(first + second), tolerant=False, keep_data=keep_data))
    assert [(m.offset, m.length) for m in members] == [(0, len(first)), (len(first), len(second))]
    if keep_data:
        assert [m.data for m in members] == [BIG, b"the next record"]


@pytest.mark.timeout(30)
def test_salvage_finds_the_complete_prefix_after_such_a_member() -> None:
    """What spool recovery runs on a killed crawl's WARC: it once looped forever here, so the next run never started."""
    first, second = gzip.compress(BIG), gzip.compress(b"the next record")
    assert complete_prefix_length(io.BytesIO(first + second + second[:10])) == len(first) + len(second)
