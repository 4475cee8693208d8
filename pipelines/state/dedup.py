"""Link records whose text was seen before (exact or near) so syndicated copies point at the first one,
and keep record ids unique.

Near duplicates are found with the pigeonhole trick: two 64-bit SimHashes within 3 bits share at least
one of four 16-bit bands, so each lookup only compares against records sharing a band.

A record's id is the SHA-1 of its canonical URL, so two records with one id are either the same article
reached twice (an alias: a redirect, an AMP or print page, a URL that differs only by parameters, two requests
racing) or pages whose canonical tag lies (a section's URL on every article). `RecordIds` tells them apart by
their texts: an alias is dropped, a lying canonical is replaced by the page's own URL (records.build.rekeyed).
"""

from dataclasses import dataclass, field
from enum import Enum

from pipelines.records.simhash import hamming
from pipelines.records.types import Record

BANDS = 4
BAND_BITS = 16
MAX_DISTANCE = 3
MIN_WORDS = 30  # shorter texts (teasers, captions) collide by accident


def bands(value: int) -> list[tuple[int, int]]:
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
        for band in bands(simhash):
            for other, record_id in self.near.get(band, ()):
                if hamming(simhash, other) <= MAX_DISTANCE:
                    return record_id
        return None

    def add(self, text_sha1: str, simhash: int, record_id: str) -> None:
        """Remember a record as the original for later lookups."""
        self.exact.setdefault(text_sha1, record_id)
        for band in bands(simhash):
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


class Claim(Enum):
    NEW = "new"        # the first record with this id
    ALIAS = "alias"    # the article of a record already written: drop it
    REKEY = "rekey"    # another article's id: re-key it on its own URL


@dataclass
class RecordIds:
    """The ids this run wrote, with their texts, and the verdict on the next record that claims one.

    `taken_earlier` says an earlier run wrote a record under the id (its canonical URL is in the seen-store);
    that record's text is known only through the earlier runs' originals in `index`.
    """

    texts: dict[str, tuple[str, int]] = field(default_factory=dict)  # id → (text SHA-1, SimHash)

    def claim(self, record: Record, *, taken_earlier: bool, index: DuplicateIndex) -> Claim:
        simhash = int(record["simhash"], 16)
        mine = self.texts.get(record["id"])
        if mine is not None:
            same = mine[0] == record["text_sha1"] or hamming(mine[1], simhash) <= MAX_DISTANCE
            return Claim.ALIAS if same else Claim.REKEY
        if taken_earlier:
            return Claim.ALIAS if index.find(record["text_sha1"], simhash) is not None else Claim.REKEY
        return Claim.NEW

    def add(self, record: Record) -> None:
        self.texts[record["id"]] = (record["text_sha1"], int(record["simhash"], 16))

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.texts

