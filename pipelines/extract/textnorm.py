"""Text normalization shared by extraction and records: one definition of words and paragraphs."""

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_WORD = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces between words (kana, CJK ideographs, hangul): words do not count there.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def strip_control(text: str) -> str:
    """Remove control characters that break XML/JSON consumers (keeps \\n, \\r, \\t)."""
    return _CONTROL.sub("", text)


def normalize_text(text: str) -> str:
    """NFC, no control characters, single spaces, paragraphs separated by exactly one blank line."""
    text = unicodedata.normalize("NFC", strip_control(text)).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (_SPACES.sub(" ", block).strip() for block in re.split(r"\n\s*\n|\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def words(text: str) -> list[str]:
    """Words as the AEB metric counts tokens (Unicode `\\w+`)."""
    return _WORD.findall(text)


def word_count(text: str) -> int:
    return len(words(text))
