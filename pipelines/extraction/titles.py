"""The headline, without the " | Site Name" or "_Section_Site" decoration that <title> tags carry.

A separator alone proves nothing (headlines contain " - " and ":"), so a segment is only removed when
it is recognisably the publisher (its name, its domain) or when another source (the h1, og:title,
JSON-LD headline) confirms the shorter form.
"""

import re
from collections.abc import Iterable

TRAIL_LABEL_MAX_CHARS = 25
_SEPARATOR_PATTERN = r"\s+[|\-–—·•»:]\s+|\s*[|_｜]\s*|\s+::\s+"
_SEPARATOR = re.compile(_SEPARATOR_PATTERN)
_SEPARATOR_AT_START = re.compile(rf"^(?:{_SEPARATOR_PATTERN})")
_SEPARATOR_AT_END = re.compile(rf"(?:{_SEPARATOR_PATTERN})$")


def clean(text: str | None) -> str:
    """Single spaces, no surrounding whitespace."""
    return " ".join((text or "").split())


def _key(text: str) -> str:
    return re.sub(r"\W", "", text).casefold()


def _is_publisher(segment: str, publishers: list[str]) -> bool:
    """A segment naming the site: equal to, inside, or containing a publisher name or domain label."""
    key = _key(segment)
    if not key:
        return True
    for publisher in publishers:
        name = _key(publisher)
        if not name:
            continue
        if key == name or (len(name) >= 4 and (name in key or (len(key) >= 4 and key in name))):
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


def strip_site_name(title: str, publishers: Iterable[str]) -> str:
    """Drop leading/trailing segments that name the publisher; the rest is the headline."""
    publishers = [p for p in publishers if p]
    segments = _SEPARATOR.split(title)
    separators = _SEPARATOR.findall(title)
    start, end = 0, len(segments)
    while end - start > 1 and _is_publisher(segments[end - 1], publishers):
        end -= 1
    while end - start > 1 and _is_publisher(segments[start], publishers):
        start += 1
    if _is_decoration_trail(segments[start:end]):
        end = start + 1
    if (start, end) == (0, len(segments)):
        return title
    pieces = [segments[start]]
    for index in range(start + 1, end):
        pieces += [separators[index - 1], segments[index]]
    return clean("".join(pieces))


def _confirmed_part(title: str, others: list[str], publishers: list[str]) -> str | None:
    """The longest other candidate that `title` starts or ends with at a separator boundary."""
    best = None
    for other in others:
        if len(other) < 10 or other == title or _is_publisher(other, publishers):
            continue
        at_start = title.startswith(other) and _SEPARATOR_AT_START.match(title[len(other) :])
        at_end = title.endswith(other) and _SEPARATOR_AT_END.search(title[: -len(other)])
        if (at_start or at_end) and (best is None or len(other) > len(best)):
            best = other
    return best


def choose_title(candidates: list[str | None], publishers: Iterable[str]) -> str:
    """The first candidate (in order of trust), stripped of the site name, or confirmed by another source."""
    publishers = list(publishers)
    cleaned = [clean(c) for c in candidates if clean(c)]
    if not cleaned:
        return ""
    title = cleaned[0]
    confirmed = _confirmed_part(title, cleaned[1:], publishers)
    if confirmed:
        return confirmed
    return strip_site_name(title, publishers)
