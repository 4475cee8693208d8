"""Link records whose text was seen before (exact or near) so syndicated copies point at the first one.

Near duplicates are found with the pigeonhole trick: two 64-bit SimHashes within 3 bits share at least
one of four 16-bit bands, so each lookup only compares against records sharing a band.
"""

from dataclasses import dataclass, field

from pipelines.records.simhash import hamming
from pipelines.records.types import Record

BANDS = 4
BAND_BITS = 16
MAX_DISTANCE = 3
MIN_WORDS = 30  # shorter texts (teasers, captions) collide by accident


def _bands(value: int) -> list[tuple[int, int]]:
    return [(band, value >> (band * BAND_BITS) & 0xFFFF) for band in range(BANDS)]


@dataclass
class DuplicateIndex:
    """In-memory index of texts already recorded in this run: text SHA-1 and SimHash → record id."""

    exact: dict[str, str] = field(default_factory=dict)
    near: dict[tuple[int, int], list[tuple[int, str]]] = field(default_factory=dict)
    added: list[tuple[str, int, str]] = field(default_factory=list)  # originals first seen in this run

    def find(self, text_sha1: str, simhash: int) -> str | None:
        """Id of an earlier record with the same or nearly the same text."""
        if text_sha1 in self.exact:
            return self.exact[text_sha1]
        for band in _bands(simhash):
            for other, record_id in self.near.get(band, ()):
                if hamming(simhash, other) <= MAX_DISTANCE:
                    return record_id
        return None

    def add(self, text_sha1: str, simhash: int, record_id: str) -> None:
        """Remember a record as the original for later lookups."""
        self.exact.setdefault(text_sha1, record_id)
        for band in _bands(simhash):
            self.near.setdefault(band, []).append((simhash, record_id))

    def link(self, record: Record) -> Record:
        """Set `duplicate_of` on a record (same id = a re-capture, not a duplicate) and index it."""
        if record["word_count"] < MIN_WORDS:
            return record
        simhash = int(record["simhash"], 16)
        original = self.find(record["text_sha1"], simhash)
        if original is not None and original != record["id"]:
            record["duplicate_of"] = original
        else:
            self.add(record["text_sha1"], simhash, record["id"])
            self.added.append((record["text_sha1"], simhash, record["id"]))
        return record
