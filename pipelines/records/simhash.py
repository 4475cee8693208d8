"""64-bit SimHash over word shingles: near-duplicate texts (syndicated copies, re-captures) differ in few bits."""

import hashlib
import re

_WORD = re.compile(r"\w+", re.UNICODE)
BITS = 64


def _shingles(text: str, size: int = 3) -> list[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


# Bit-sliced vote counting: each of a hash's 64 bits is spread into its own 20-bit lane of one big integer
# (via a per-byte lookup table), so summing the spread integers counts, per bit, how many shingles set it —
# one big-int addition per shingle instead of a 64-step Python loop.
LANE = 20  # counts up to a million shingles per text
_SPREAD_BYTE = [sum(1 << (bit * LANE) for bit in range(8) if byte >> bit & 1) for byte in range(256)]


def _spread(value: int) -> int:
    return sum(_SPREAD_BYTE[value >> (8 * i) & 0xFF] << (8 * i * LANE) for i in range(8))


def simhash(text: str) -> int:
    """SimHash of the text's 3-word shingles; 0 for an empty text."""
    shingles = _shingles(text)
    totals = sum(_spread(int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big"))
                 for s in shingles)
    mask = (1 << LANE) - 1
    # bit set when more shingles have it set than not (the classic +1/-1 vote)
    return sum(1 << bit for bit in range(BITS) if 2 * (totals >> (bit * LANE) & mask) > len(shingles))


def simhash_hex(text: str) -> str:
    """The record's `simhash` field: 16 hex digits."""
    return f"{simhash(text):016x}"


def hamming(a: int, b: int) -> int:
    """Number of differing bits."""
    return (a ^ b).bit_count()
