"""The headline, without the " | Site Name" or "_Section_Site" decoration that <title> tags carry.

Declared titles are trusted in order (JSON-LD headline, og:title, <title>, discovery hint). A separator
alone proves nothing (headlines contain " - " and ":"), so a segment is removed only when it names the
publisher or is a short trailing label, or when the page's h1 shows the undecorated form. The h1 alone
is not trusted: it may be a logo, a section name, or a rewrite of the declared headline.
"""

import html
import re
from collections.abc import Iterable

TRAIL_LABEL_MAX_CHARS = 25
HEADLINE_MIN_CHARS = 10
PUBLISHER_EXTRA_CHARS = 12
TRUNCATED_MIN_CHARS = 40
# An h1 sharing this share of its words with the declared title (Jaccard) is the same story's headline.
SAME_STORY_OVERLAP = 0.3
_WORDS = re.compile(r"\w+")
_SEPARATOR_PATTERN = r"\s+[|\-–—·•»:]\s+|\s*[|_｜]\s*|\s+::\s+"
_SEPARATOR = re.compile(_SEPARATOR_PATTERN)
_SEPARATOR_AT_START = re.compile(rf"^(?:{_SEPARATOR_PATTERN})")
_SEPARATOR_AT_END = re.compile(rf"(?:{_SEPARATOR_PATTERN})$")
_TRAIL_MARKS = frozenset("|/-–—·•»:")  # what follows a headline as decoration, not as the rest of its text
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def clean(text: str | None) -> str:
    """Single spaces, no surrounding whitespace, and entities that were escaped twice (`&amp;#8216;`) decoded."""
    text = text or ""
    if _ENTITY.search(text):
        text = html.unescape(text)
    return " ".join(text.split())


def _key(text: str) -> str:
    return re.sub(r"\W", "", text).casefold()


def _is_publisher(segment: str, publishers: list[str]) -> bool:
    """A segment naming the site: a publisher name or domain, part of one, or one with a few extra characters."""
    key = _key(segment)
    if not key:
        return True
    for name in filter(None, map(_key, publishers)):
        if key == name or (len(key) >= 4 and key in name):
            return True
        if len(name) >= 4 and name in key and len(key) <= len(name) + PUBLISHER_EXTRA_CHARS:
            return True
    return False


def _is_decoration_trail(segments: list[str]) -> bool:
    """`Headline_Section_Portal` or `Headline | Section | Site`: two or more short trailing labels.

    Portals that state no site name (common in Chinese news) still follow this shape; a headline
    that merely contains a dash has one trailing part, or parts as long as the first.
    """
    if len(segments) < 3:
        return False
    head, trail = segments[0], segments[1:]
    return all(len(t) <= TRAIL_LABEL_MAX_CHARS and 2 * len(t) < len(head) for t in trail)


def _is_label_trail(segments: list[str], separators: list[str]) -> bool:
    """`Headline | Label`: text after a pipe less than half the headline's length is a label (a section,
    a tag list, "Opinion"); a headline itself never holds a pipe."""
    if len(segments) < 2 or any(s.strip() not in ("|", "｜") for s in separators[: len(segments) - 1]):
        return False
    return all(2 * len(t) < len(segments[0]) for t in segments[1:])


def strip_site_name(title: str, publishers: Iterable[str]) -> str:
    """Drop leading/trailing segments that name the publisher (and short trailing labels)."""
    publishers = [p for p in publishers if p]
    segments = _SEPARATOR.split(title)
    separators = _SEPARATOR.findall(title)
    start, end = 0, len(segments)
    while end - start > 1 and _is_publisher(segments[end - 1], publishers):
        end -= 1
    while end - start > 1 and _is_publisher(segments[start], publishers):
        start += 1
    if _is_decoration_trail(segments[start:end]) or _is_label_trail(segments[start:end], separators[start:end]):
        end = start + 1
    pieces = [segments[start]]
    for index in range(start + 1, end):
        pieces += [separators[index - 1], segments[index]]
    headline = clean("".join(pieces))
    prefix, colon, rest = headline.partition(": ")
    if colon and rest and _is_publisher(prefix, publishers):  # "The Space Review: Seeking a bigger role"
        return rest
    return headline


def _outweighs(heading: str, decoration: str) -> bool:
    """The heading is longer than every segment it is decorated with: the headline, not the site name
    of "Headline | Site" that a logo h1 repeats."""
    return all(len(segment) < len(heading) for segment in _SEPARATOR.split(decoration))


def _agrees(heading: str, declared: str) -> bool:
    """The declared title is the heading, the heading plus decoration at a separator, or a truncation of it."""
    if _key(heading) == _key(declared):
        return True
    if declared.startswith(heading):
        rest = declared[len(heading) :]
        return bool(_SEPARATOR_AT_START.match(rest)) and _outweighs(heading, rest)
    if declared.endswith(heading):
        rest = declared[: -len(heading)]
        return bool(_SEPARATOR_AT_END.search(rest)) and _outweighs(heading, rest)
    truncated = declared.rstrip(" .…")
    continued = heading[len(truncated) :].lstrip()
    return len(truncated) >= TRUNCATED_MIN_CHARS and heading.startswith(truncated) and continued[:1] not in _TRAIL_MARKS


def choose_title(
    declared: list[str | None], headings: list[str | None], publishers: Iterable[str],
    subheadings: Iterable[str | None] = (),
) -> str:
    """The visible headline (an h1) when it is about the same story as the most trusted declared title:
    its undecorated or untruncated form ("Opinion | X" -> "X", an SEO headline cut at 110 characters),
    the form any declared title (og:title, <title>) agrees with, or a rewording sharing enough of the
    first one's words (og:title and <title> are the social and search variants of the headline the
    reader sees). With no such h1, an h2/h3 a declared title agrees with (templates that give the post
    title a lower heading). Otherwise the declared title without its decoration. A heading loses the
    site name and labels the way a declared title does ("X – Site", "X | Opinion")."""
    publishers = list(publishers)
    titles = [title for title in map(clean, declared) if title]
    fallback = next((h for h in map(clean, headings) if h), "")
    if not titles:
        return fallback
    forms = [form for title in titles for form in (title, strip_site_name(title, publishers))]
    stripped = forms[1]
    usable = _usable(headings, publishers)
    if agreed := _agreeing(usable, forms, publishers):
        return agreed
    overlaps = [(_overlap(heading, stripped), heading) for heading in usable]
    best = max(overlaps, default=(0.0, ""), key=lambda pair: pair[0])
    if best[0] >= SAME_STORY_OVERLAP:
        return strip_site_name(best[1], publishers)
    return _agreeing(_usable(subheadings, publishers), forms, publishers) or stripped or fallback


def _usable(headings: Iterable[str | None], publishers: list[str]) -> list[str]:
    """Headings long enough to be a headline that do not name the site (a logo h1)."""
    return [h for h in map(clean, headings) if len(h) >= HEADLINE_MIN_CHARS and not _is_publisher(h, publishers)]


def _agreeing(headings: list[str], forms: list[str], publishers: list[str]) -> str:
    """The first heading one of the declared titles' forms (as written, undecorated) agrees with, itself
    undecorated; "" when none does."""
    for heading in headings:
        if any(_agrees(heading, form) for form in forms):
            return strip_site_name(heading, publishers)
    return ""


def _overlap(one: str, other: str) -> float:
    """Jaccard overlap of two titles' words."""
    a, b = set(_WORDS.findall(one.casefold())), set(_WORDS.findall(other.casefold()))
    return len(a & b) / len(a | b) if a and b else 0.0
