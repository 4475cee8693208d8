"""Article text a page carries as data rather than markup: JSON-LD `articleBody` and Next.js `__NEXT_DATA__`.

Client-rendered pages (2020s Next.js sites) ship an empty shell whose story exists only in the JSON the
script hydrates from; paywalled and "read more" pages show a teaser while their JSON-LD holds the
whole text. The data is not trusted blindly: publishers' `articleBody` often carries captions and
prompts run into the text, so it replaces the markup's text only when that text is poor (much
shorter) and agrees with it (its words are the data's words).
"""

import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from lxml import etree

from pipelines.extract.body.paragraphs import Paragraph
from pipelines.extract.document import Document

_NEXT_DATA = etree.XPath("//script[@id='__NEXT_DATA__']/text()")
# Keys whose string values are the words of a content block in headless-CMS JSON (Portable Text,
# Contentful rich text, Arc content elements, WordPress `content.rendered`, Slate, ...).
TEXT_KEYS = frozenset({"text", "value", "content", "html", "body", "rendered", "articleBody", "plaintext"})
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|div)>|<br\s*/?>", re.IGNORECASE)
_TOKENS = re.compile(r"\w+")
# Bigger hydration blobs are whole-site caches, not one story; walking them costs more than it finds.
NEXT_DATA_MAX_CHARS = 1_000_000
JSON_MAX_DEPTH = 40
# A paragraph of prose has at least this many words (menu labels, headlines and ids have fewer).
PROSE_MIN_WORDS = 8
# The data replaces the markup's text only when that text has under this share of the data's words ...
POOR_SHARE = 0.6
# ... and this share of the markup's words occur in the data (or the markup has next to nothing).
AGREEMENT_MIN = 0.8
NEARLY_EMPTY_WORDS = 20
STRUCTURED_MIN_WORDS = 50
# _repeats_itself: runs of this many words, and the share of them that may recur.
REPEAT_RUN = 8
REPEATED_SHARE = 0.3


def structured_paragraphs(document: Document, metadata: dict[str, Any]) -> list[Paragraph]:
    """The longer of the JSON-LD body and the Next.js story, as paragraphs ([] when the page has neither)."""
    return max((json_ld_paragraphs(metadata), next_data_paragraphs(document)), key=_prose_chars)


def prefer_structured(dom: list[Paragraph], structured: list[Paragraph]) -> bool:
    """Whether the data's text should replace the markup's: the markup found nothing, or a much shorter
    text made of the data's words (a teaser, the first screen of a client-rendered page)."""
    if not dom:
        return bool(structured)
    dom_tokens = [t for p in dom for t in _TOKENS.findall(p.text)]
    data_tokens = {t for p in structured for t in _TOKENS.findall(p.text)}
    if len(data_tokens) == 0 or _word_total(structured) < STRUCTURED_MIN_WORDS or _repeats_itself(structured):
        return False
    if len(dom_tokens) >= POOR_SHARE * _word_total(structured):
        return False
    shared = sum(t in data_tokens for t in dom_tokens)
    return len(dom_tokens) < NEARLY_EMPTY_WORDS or shared >= AGREEMENT_MIN * len(dom_tokens)


def _repeats_itself(paragraphs: list[Paragraph]) -> bool:
    """A cache that holds the story twice (or a story and its copy in another field run together) is not
    one story: more than this share of its 8-word runs occur more than once."""
    tokens = [t.casefold() for p in paragraphs for t in _TOKENS.findall(p.text)]
    runs = Counter(tuple(tokens[i : i + REPEAT_RUN]) for i in range(max(len(tokens) - REPEAT_RUN + 1, 0)))
    total = sum(runs.values())
    return bool(total) and sum(count for count in runs.values() if count > 1) > REPEATED_SHARE * total


def json_ld_paragraphs(metadata: dict[str, Any]) -> list[Paragraph]:
    """The publisher's JSON-LD articleBody, one paragraph per line."""
    text = metadata.get("json_ld_body")
    return _text_paragraphs(text) if isinstance(text, str) else []


def next_data_paragraphs(document: Document) -> list[Paragraph]:
    """The longest run of prose blocks in the page's Next.js hydration data."""
    raw = _NEXT_DATA(document.tree)
    if not raw or len(raw[0]) > NEXT_DATA_MAX_CHARS:
        return []
    try:
        data = json.loads(raw[0])
    except (ValueError, RecursionError):  # malformed, or nested past Python's recursion limit
        return []
    return max(_candidates(data), key=_prose_chars, default=[])


def _candidates(data: Any) -> Iterator[list[Paragraph]]:
    """Every list of content blocks and every HTML/multi-line string in the JSON: possible story bodies."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            continue
        if isinstance(value, str):
            nested = _nested_json(value)
            if nested is not None:
                stack.append((nested, depth + 1))
            elif "<p" in value or "\n" in value:
                yield _text_paragraphs(value)
        elif isinstance(value, list):
            yield [Paragraph(text, "p") for text in map(_block_text, value) if text]
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())


def _nested_json(value: str) -> Any:
    """The object or array a string holds when it is JSON itself (caches that store their state
    encoded twice), else None."""
    text = value.strip()
    if not (text.startswith("{") and text.endswith("}")) and not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _block_text(block: Any) -> str:
    """The words of one content block: its text-keyed strings, nested spans included, joined as written
    (a string in a list counts only under a text key: "marks": ["em"] is not words)."""
    parts: list[str] = []
    stack: list[tuple[Any, int, bool]] = [(block, 0, True)]
    while stack:
        value, depth, textual = stack.pop()
        if depth > JSON_MAX_DEPTH:
            continue
        if isinstance(value, str):
            if textual:
                parts.append(value)
        elif isinstance(value, dict):
            stack.extend((item, depth + 1, key in TEXT_KEYS) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, textual) for item in reversed(value))
    return _plain(" ".join(_BLOCK_END.split("".join(parts))))


def _text_paragraphs(text: str) -> list[Paragraph]:
    """Paragraphs of a text or HTML string: block ends and line breaks separate them."""
    lines = _BLOCK_END.sub("\n", text).splitlines()
    return [Paragraph(line, "p") for line in map(_plain, lines) if line]


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _word_total(paragraphs: list[Paragraph]) -> int:
    return sum(len(p.text.split()) for p in paragraphs)


def _prose_chars(paragraphs: list[Paragraph]) -> int:
    return sum(len(p.text) for p in paragraphs if len(p.text.split()) >= PROSE_MIN_WORDS)
