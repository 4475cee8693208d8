"""Page bytes to text: the declared charset when the bytes bear it out, the bytes' own evidence when not.

A browser follows the declaration (BOM, HTTP charset, <meta> or XML prolog) and shows mojibake when
it lies; a record must carry the words. So every declaration is checked against the bytes:

- valid UTF-8 with non-ASCII bytes in it is UTF-8 whatever is declared: text in any legacy charset is
  practically never valid UTF-8, while UTF-8 labelled latin-1 is the commonest charset mistake;
- a declaration that fails to decode (cp1251 bytes labelled UTF-8) or decodes to text charset_normalizer
  scores as mess (Korean labelled GB2312) gives way to the charset detected from the page's text;
- a page that merely has a stray bad byte keeps its declared charset, with a replacement character.

w3lib reads the declarations (WHATWG labels: "latin-1" means windows-1252); charset_normalizer does
the detection, on the page's text without its markup so tags and scripts do not dilute the evidence.
"""

import re
from functools import cache

import charset_normalizer
from charset_normalizer.md import mess_ratio
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, to_unicode

UTF8 = "utf-8"
# WHATWG's fallback for unlabelled Western pages; detection ties between Latin code pages go to it too.
WESTERN = "cp1252"
# Text that charset_normalizer scores above this mess ratio is mojibake (its own default threshold):
# a right decoding of real pages scores under 0.1, a wrong script 0.5 and more.
MOJIBAKE_MESS = 0.2
# A declaration is kept, with replacement characters, when at most this share of the non-ASCII
# characters fail to decode: one stray byte in an advert does not make a UTF-8 page cp1252.
STRAY_SHARE = 0.05
# Detection reads the text (markup removed) of the page's first bytes, up to a bounded sample.
SCAN_BYTES = 4 << 20
SAMPLE_BYTES = 256 << 10
# Detection candidates this close to the best one are equally good readings of the sample.
TIE_MARGIN = 0.01
# WHATWG reads the bare "utf-16" label as little-endian (w3lib would take big-endian).
_WHATWG_UTF16 = {"utf-16": "utf-16-le"}
_MARKUP = re.compile(rb"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>", re.DOTALL | re.IGNORECASE)


def decode_page(data: bytes, content_type: str | None = None) -> str:
    """The page's text: BOM first, then a declaration the bytes agree with (UTF-8 when none), then detection."""
    bom_encoding, bom = read_bom(data)
    if bom_encoding is not None and bom is not None:
        return to_unicode(data[len(bom) :], bom_encoding)
    if not data.isascii():
        utf8 = _strict(data, UTF8)
        if utf8 is not None:
            return utf8
    candidates = _declared(data, content_type) or [UTF8]
    for encoding in candidates:
        text = _strict(data, encoding)
        if text is not None and not _is_mojibake(data, encoding):
            return text
    first = candidates[0]
    if _mostly_decodes(data, first) and not _is_mojibake(data, first):
        return to_unicode(data, first)
    return _detected(data) or to_unicode(data, first)


def _declared(data: bytes, content_type: str | None) -> list[str]:
    """The HTTP charset, then the page's own (<meta> or XML prolog), without repeats."""
    labels = [http_content_type_encoding(content_type), html_body_declared_encoding(data)]
    return list(dict.fromkeys(_WHATWG_UTF16.get(label, label) for label in labels if label))


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_decodes(data: bytes, encoding: str) -> bool:
    """Whether the declared charset reads all but a few of the page's non-ASCII characters."""
    text = to_unicode(data, encoding)
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return text.count("\ufffd") <= STRAY_SHARE * non_ascii


def _sample(data: bytes) -> bytes:
    """The page's text bytes (scripts, styles, comments and tags removed), bounded."""
    window = data[:SCAN_BYTES]
    text = _MARKUP.sub(b" ", window)
    return (text if not text.isascii() else window)[:SAMPLE_BYTES]


def _is_mojibake(data: bytes, encoding: str) -> bool:
    """A legacy-charset reading whose text is mess (UTF-8 that decodes is never checked: it is right)."""
    if _is_utf(encoding):
        return False
    sample = _sample(data)
    return not sample.isascii() and mess_ratio(sample.decode(encoding, errors="replace"), 1.0) > MOJIBAKE_MESS


def _detected(data: bytes) -> str | None:
    """The page decoded with the charset its text reads best in, or None when nothing reads well."""
    matches = list(charset_normalizer.from_bytes(_sample(data)))
    if not matches:
        return None
    best = matches[0]
    encoding = best.encoding
    for match in matches:
        if (
            WESTERN in match.could_be_from_charset
            and match.chaos <= best.chaos + TIE_MARGIN
            and match.coherence >= best.coherence - TIE_MARGIN
        ):
            encoding = WESTERN
            break
    if encoding in ("ascii", "utf_8"):
        return None  # the sample is plain ASCII or UTF-8, so the bytes that failed to decode lie outside it
    return to_unicode(data, encoding)


@cache
def _is_utf(encoding: str) -> bool:
    return encoding.replace("_", "-").lower().startswith("utf")
