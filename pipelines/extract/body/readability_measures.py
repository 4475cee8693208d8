"""readability-lxml's own measures of a node, computed without the strings it builds to take them.

readability cleans every paragraph's text three times to count its length, serialises every div's subtree
to search it for a block tag, and runs two regexes on every class/id string: most of its run time. These
give the same answers the cheap way; bench/extract_equivalence.py checks each against readability's code.
"""

import re
from functools import lru_cache

from lxml import etree
from readability.readability import REGEXES

# readability's `clean()` collapses these whitespace runs; `clean_length` reproduces its length.
_WHITESPACE_RUNS = re.compile(r"\s{2,}")
_TABS_AND_SPACE_RUNS = re.compile(r"\t|[ \t]{2,}")
READABILITY_MAX_RUN = 255
_BLOCK_MARKUP = REGEXES["divToPElementsRe"]
_UNLIKELY = REGEXES["unlikelyCandidatesRe"]
_MAYBE_CANDIDATE = REGEXES["okMaybeItsACandidateRe"]
# readability's inline tags for wrapping a div's loose inline children in <p>.
INLINE_TAGS = frozenset({"a", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub", "sup", "u"})
# Elements whose text an HTML serialisation may write unescaped, where "<p" could be text, not a tag.
_RAW_TEXT_TAGS = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext",
                            "textarea", "title"})


def clean_length(text: str) -> int:
    """`len(readability.readability.clean(text))` without building the string (a third of its run time).

    `clean` caps a whitespace run at 255 chars, turns a run holding a newline into one newline, each tab
    into a space and a run of spaces/tabs into one space, then strips: only runs of two or more
    whitespace chars change the length, each independently (bench/extract_equivalence.py checks it).
    """
    text = text.strip()
    length = len(text)
    for match in _WHITESPACE_RUNS.finditer(text):
        run = match.group()
        if len(run) >= READABILITY_MAX_RUN or "\n" in run:
            length -= len(run) - 1
        else:
            length -= len(run) - len(_TABS_AND_SPACE_RUNS.sub(" ", run))
    return length


def text_length(element: etree._Element) -> int:
    """readability's `text_length`: the cleaned length of the element's text."""
    return clean_length(element.text_content() or "")


@lru_cache(maxsize=4096)
def unlikely_name(names: str) -> bool:
    """readability's "unlikely candidate" verdict on a class/id string; pages repeat a few names a lot."""
    return bool(_UNLIKELY.search(names)) and not _MAYBE_CANDIDATE.search(names)


class BlockMarkup:
    """Answers readability's "does this markup hold a block tag?" (`divToPElementsRe` over serialised
    children) for a whole tree in one pass, where readability serialised every div's subtree again.

    Serialisation escapes "<" in text and attribute values, so the regex (a "<" then a tag name) only
    ever matches a start tag: an element holds block markup when a descendant's "<" + tag matches. The
    answers stay true while readability renames divs to <p>, which the regex matches as well. Below
    a comment, processing instruction, raw-text element (a literal "<" may be text) or namespaced tag
    (written with a prefix) the markup is serialised and searched as readability does.
    """

    def __init__(self, root: etree._Element) -> None:
        self.holders: set[etree._Element] = set()
        self.unsure: set[etree._Element] = set()
        for element in root.iter():
            tag = element.tag
            if not isinstance(tag, str) or tag in _RAW_TEXT_TAGS or "{" in tag:
                marked = self.unsure
            elif _BLOCK_MARKUP.match(f"<{tag}"):
                marked = self.holders
            else:
                continue
            parent = element.getparent()
            while parent is not None and parent not in marked:  # a marked parent has marked ancestors
                marked.add(parent)
                parent = parent.getparent()

    def in_children(self, element: etree._Element) -> bool:
        """readability's test on a div's children, serialised as XML."""
        if element in self.unsure:
            return bool(_BLOCK_MARKUP.search(str(b"".join(etree.tostring(c, encoding="utf-8") for c in element))))
        return element in self.holders

    def in_element(self, element: etree._Element) -> bool:
        """readability's test on an inline element (never a block tag itself), serialised as HTML."""
        if element in self.unsure:
            return bool(_BLOCK_MARKUP.search(etree.tounicode(element, method="html")))
        return element in self.holders
