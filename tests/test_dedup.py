"""SimHash and the duplicate index: syndicated copies point at the first record; distinct texts don't."""

import random

from pipelines.records.simhash import hamming, simhash, simhash_hex
from pipelines.state.dedup import DuplicateIndex

SENTENCE = ("the minister said on tuesday that talks with the union would resume next week after a pause of "
            "several months during which both sides traded accusations over pay and conditions in the sector")
WORDS = SENTENCE.split()


def article(seed: int, length: int = 600) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(length))


def record(record_id: str, text: str) -> dict:
    from pipelines.records.build import sha1_hex

    return {"id": record_id, "text_sha1": sha1_hex(text), "simhash": simhash_hex(text),
            "word_count": len(text.split()), "duplicate_of": None}


def test_near_identical_texts_are_close_and_different_texts_far() -> None:
    text = article(1)
    edited = text.replace("minister", "ministers", 1) + " Additional reporting by Reuters."
    assert hamming(simhash(text), simhash(edited)) <= 3
    assert hamming(simhash(text), simhash(article(2))) > 10
    assert simhash("") == 0


def test_index_links_exact_and_near_copies_to_the_first_record() -> None:
    index = DuplicateIndex()
    original = index.link(record("a" * 40, article(1)))
    exact = index.link(record("b" * 40, article(1)))
    near = index.link(record("c" * 40, article(1) + " Copyright AFP."))
    other = index.link(record("d" * 40, article(7)))
    assert original["duplicate_of"] is None
    assert exact["duplicate_of"] == "a" * 40
    assert near["duplicate_of"] == "a" * 40
    assert other["duplicate_of"] is None


def test_recapture_of_same_article_is_not_its_own_duplicate_and_short_texts_are_ignored() -> None:
    index = DuplicateIndex()
    index.link(record("a" * 40, article(1)))
    assert index.link(record("a" * 40, article(1)))["duplicate_of"] is None
    index.link(record("e" * 40, "Subscribe now"))
    assert index.link(record("f" * 40, "Subscribe now"))["duplicate_of"] is None


def test_fast_simhash_equals_the_textbook_vote() -> None:
    import hashlib

    from pipelines.records.simhash import _shingles

    def textbook(text: str) -> int:
        votes = [0] * 64
        for shingle in _shingles(text):
            value = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
            for bit in range(64):
                votes[bit] += 1 if value >> bit & 1 else -1
        return sum(1 << bit for bit in range(64) if votes[bit] > 0)

    for seed in range(12):
        text = article(seed, length=random.Random(seed).randint(0, 900))
        assert simhash(text) == textbook(text)


def test_a_second_record_under_one_id_is_an_alias_or_a_lying_canonical() -> None:
    """Same id and (nearly) the same text: the same article reached again. Another text: the canonical lies."""
    from pipelines.records.build import rekeyed
    from pipelines.state.dedup import Claim, RecordIds

    index, ids = DuplicateIndex(), RecordIds()
    first = record("a" * 40, article(1))
    assert ids.claim(first, taken_earlier=False, index=index) is Claim.NEW
    ids.add(first)
    index.link(first)
    assert ids.claim(record("a" * 40, article(1) + " Copyright AFP."), taken_earlier=False, index=index) is Claim.ALIAS
    assert ids.claim(record("a" * 40, article(9)), taken_earlier=False, index=index) is Claim.REKEY
    # An id an earlier run wrote: the earlier runs' texts tell an alias from another article.
    assert ids.claim(record("b" * 40, article(1)), taken_earlier=True, index=index) is Claim.ALIAS
    assert ids.claim(record("b" * 40, article(5)), taken_earlier=True, index=index) is Claim.REKEY
    page = {**record("a" * 40, article(9)), "url": "https://herald.example/2024/05/17/story?utm_source=x",
            "canonical_url": "https://herald.example/news/"}
    own = rekeyed(page)
    assert own["canonical_url"] == "https://herald.example/2024/05/17/story" and own["id"] != page["id"]
