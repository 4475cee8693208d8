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


def simhash(text: str) -> int:
    """SimHash of the text's 3-word shingles; 0 for an empty text."""
    votes = [0] * BITS
    for shingle in _shingles(text):
        value = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(BITS):
            votes[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(BITS) if votes[bit] > 0)


def simhash_hex(text: str) -> str:
    """The record's `simhash` field: 16 hex digits."""
    return f"{simhash(text):016x}"


def hamming(a: int, b: int) -> int:
    """Number of differing bits."""
    return (a ^ b).bit_count()
