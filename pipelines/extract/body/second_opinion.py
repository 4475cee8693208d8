"""A second opinion when readability's pick holds little of the page's prose: trafilatura, then agreement.

readability keeps one container (and siblings scoring close to it). An article split into blocks that
no common wrapper scores, or one whose introduction sits in another wrapper, loses most of its text
that way. Such a pick holds a small share of the prose left on the page once furniture is cut, so that
share (the page's own text mass) says when to ask trafilatura, which merges blocks; asking it on every
page would double the cost of extraction.

Neither side is trusted blindly. trafilatura's text is first cut to the story under the page's
headline: a second <h1> starts another story (pages that append the next article as the reader
scrolls). It then replaces ours only when ours is part of it (most of our 4-word shingles are among
its shingles) and it is much longer: ours was one block of the article it found whole.
"""

from collections import Counter

from pipelines.extract.body.headline import is_headline
from pipelines.extract.body.nodes import prose_chars
from pipelines.extract.body.paragraphs import Paragraph
from pipelines.extract.body.readability import Pick
from pipelines.extract.body.trafilatura import trafilatura_paragraphs
from pipelines.extract.document import Document
from pipelines.extract.textnorm import words

# A pick holding less than this share of the pruned page's prose may be one block of the article.
PICK_MIN_SHARE = 0.4
# Theirs replaces ours when it holds this share of our shingles and has this many times our words.
CONTAINED_SHARE = 0.7
LONGER_FACTOR = 2.0
SHINGLE = 4


def is_fragment(pick: Pick) -> bool:
    """Whether readability's pick holds too little of the page's prose to be the whole article."""
    return prose_chars(pick.node) < PICK_MIN_SHARE * pick.page_prose


def second_opinion(document: Document, url: str, titles: list[str]) -> list[Paragraph]:
    """trafilatura's text favouring recall (it is asked because ours may miss part of the article), cut to
    the story under the page's headline."""
    return headlined_story(trafilatura_paragraphs(document, url, favor_precision=False), titles)


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


def reconcile(ours: list[Paragraph], theirs: list[Paragraph]) -> list[Paragraph]:
    """Ours, or theirs when ours is part of theirs and theirs is much longer."""
    mine, other = _shingles(ours), _shingles(theirs)
    mine_total = sum(mine.values())
    if not other:
        return ours
    shared = sum(min(count, other[shingle]) for shingle, count in mine.items())
    longer = sum(len(words(p.text)) for p in theirs) >= LONGER_FACTOR * max(sum(len(words(p.text)) for p in ours), 1)
    return theirs if longer and shared >= CONTAINED_SHARE * mine_total else ours


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
