"""A second opinion when readability's pick holds little of the page's prose: trafilatura, then agreement.

readability keeps one container (and siblings scoring close to it). An article split into blocks that
no common wrapper scores, or one whose introduction sits in another wrapper, loses most of its text
that way. Such a pick holds a small share of the prose left on the page once furniture is cut, so that
share (the page's own text mass) says when to ask trafilatura, which merges blocks; asking it on every
page would double the cost of extraction.

Neither side is trusted blindly. trafilatura's text is first cut to the story under the page's
headline: a second <h1> starts another story (pages that append the next article as the reader
scrolls). It then replaces ours only when ours is part of it (most of our 4-word shingles are among
its shingles) and it is much longer: ours was one block of the article it found whole; or when the two
are different blocks and theirs is longer and closer to the page's own title and description: ours was
a bio, promo or navigation box that out-scored the story.
"""

from collections import Counter

from pipelines.extract.body.headline import is_headline
from pipelines.extract.body.nodes import prose_chars
from pipelines.extract.body.paragraphs import Paragraph
from pipelines.extract.body.readability import Pick
from pipelines.extract.body.trafilatura import trafilatura_paragraphs
from pipelines.extract.document import Document
from pipelines.extract.textnorm import CJK, words

# A pick holding less than this share of the pruned page's prose may be one block of the article.
PICK_MIN_SHARE = 0.4
# Theirs replaces ours when it holds this share of our shingles and has this many times our words.
CONTAINED_SHARE = 0.7
LONGER_FACTOR = 2.0
# Ours and theirs are different blocks when under this share of our shingles are theirs; then theirs wins
# by being this many times longer and closer to the page's title and description.
DISJOINT_SHARE = 0.5
DISJOINT_LONGER_FACTOR = 1.5
SHINGLE = 4
MIN_KEY_CHARS = 3


def is_fragment(pick: Pick) -> bool:
    """Whether readability's pick holds too little of the page's prose to be the whole article."""
    return prose_chars(pick.node) < PICK_MIN_SHARE * pick.page_prose


def second_opinion(document: Document, url: str, titles: list[str]) -> list[Paragraph]:
    """trafilatura's text favouring recall (it is asked because ours may miss part of the article), cut to
    the story under the page's headline. Its fast mode: without its own readability/jusText fallbacks it
    costs half as much and, on the held-back pages, agreed with the reference as often."""
    return headlined_story(trafilatura_paragraphs(document, url, favor_precision=False, fast=True), titles)


def headlined_story(paragraphs: list[Paragraph], titles: list[str]) -> list[Paragraph]:
    """The run of paragraphs from the <h1> that is the page's headline to the next <h1>; the first run
    when no <h1> is the headline."""
    runs: list[list[Paragraph]] = []
    for paragraph in paragraphs:
        if paragraph.tag == "h1" or not runs:
            runs.append([])
        runs[-1].append(paragraph)
    titled = [run for run in runs if run[0].tag == "h1" and is_headline(run[0], titles)]
    return titled[0] if titled else runs[0] if runs else []


def reconcile(ours: list[Paragraph], theirs: list[Paragraph], about: str) -> list[Paragraph]:
    """Ours, or theirs when ours is part of theirs and theirs is much longer, or when the two are different
    blocks and theirs is the longer one and closer to what the page says it is about (`about`: its title
    and description)."""
    mine, other = _shingles(ours), _shingles(theirs)
    mine_total = sum(mine.values())
    if not other:
        return ours
    shared = sum(min(count, other[shingle]) for shingle, count in mine.items())
    our_words, their_words = _word_total(ours), _word_total(theirs)
    if shared >= CONTAINED_SHARE * mine_total:
        return theirs if their_words >= LONGER_FACTOR * max(our_words, 1) else ours
    if shared < DISJOINT_SHARE * mine_total and their_words >= DISJOINT_LONGER_FACTOR * our_words:
        topic = _keys(about)
        if _agreement(theirs, topic) > _agreement(ours, topic):
            return theirs
    return ours


def _word_total(paragraphs: list[Paragraph]) -> int:
    return sum(len(words(p.text)) for p in paragraphs)


def _keys(text: str) -> set[str]:
    """Content keys of a text: casefolded words of three letters or more; CJK runs, written without spaces,
    as character pairs."""
    keys: set[str] = set()
    for word in words(text.casefold()):
        if CJK.search(word):
            keys.update(word[i : i + 2] for i in range(max(len(word) - 1, 1)))
        elif len(word) >= MIN_KEY_CHARS:
            keys.add(word)
    return keys


def _agreement(paragraphs: list[Paragraph], topic: set[str]) -> float:
    """Share of the page's title and description keys that the text uses."""
    if not topic:
        return 0.0
    return len(topic & _keys(" ".join(p.text for p in paragraphs))) / len(topic)


def _shingles(paragraphs: list[Paragraph]) -> Counter[tuple[str, ...]]:
    """Overlapping 4-word tuples per paragraph (a shorter paragraph is one tuple), casefolded."""
    shingles: Counter[tuple[str, ...]] = Counter()
    for paragraph in paragraphs:
        tokens = [word.casefold() for word in words(paragraph.text)]
        if len(tokens) < SHINGLE:
            shingles[tuple(tokens)] += bool(tokens)
        else:
            shingles.update(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))
    return shingles
