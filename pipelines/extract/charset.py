"""Page bytes to text: the declared charset when the bytes bear it out, the bytes' own evidence when not.

A browser follows the declaration (BOM, HTTP charset, <meta> or XML prolog) and shows mojibake when
it lies; a record must carry the words. So every declaration is checked against the bytes:

- valid UTF-8 with non-ASCII bytes in it is UTF-8 whatever is declared: text in any legacy charset is
  practically never valid UTF-8, while UTF-8 labelled latin-1 is the commonest charset mistake;
- a declaration that fails to decode (cp1251 bytes labelled UTF-8) or decodes to text charset_normalizer
  scores as mess (Korean labelled GB2312) gives way to the charset detected from the page's text;
- a page that merely has a stray bad byte keeps its declared charset, with a replacement character;
- a single-byte declaration that reads as text but as the wrong text (cp1251 bytes labelled KOI8-R give
  Cyrillic letters, just the wrong ones; Turkish cp1254 labelled latin-1 gives "salý" for "salı") gives way
  to the detected charset only on clear evidence: the detected reading is no messier, its language agrees with
  the page's declared `lang` (when there is one), and it is far less messy (the declared one has the right
  script's letters in the wrong case), far more coherent in its language, or far more of the letters the two
  readings disagree on are letters of the page's language (its `lang`, else the language both readings read as).

w3lib reads the declarations (WHATWG labels: "latin-1" means windows-1252); charset_normalizer does
the detection, on the page's text without its markup so tags and scripts do not dilute the evidence.
"""

import re
from functools import cache, cached_property

import charset_normalizer
from charset_normalizer.cd import coherence_ratio
from charset_normalizer.constant import FREQUENCIES
from charset_normalizer.md import mess_ratio
from charset_normalizer.models import CharsetMatch
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
# A single-byte declaration gives way when the detected reading's mess ratio is this much lower and it is no
# less coherent (letters of the right script in the wrong case: cp1251 read as KOI8-R scores 0.08-0.12, right
# readings under 0.01) ...
MESS_GAIN = 0.05
# ... or when it is this much more coherent (charset_normalizer's ratio of the language's most frequent letters
# found in their order; right readings score 0.6-0.8, a wrong code page of the same script 0.1-0.4) ...
COHERENCE_GAIN = 0.25
# ... or when of the characters the two readings disagree on (at least MIN_DIFFERENCES), this much larger a share
# are among the page's language's frequent letters in the detected reading (Turkish read as windows-1252: ý, þ,
# ð where ı, ş, ğ belong; Czech: è, ø, ì for č, ř, ě).
ALPHABET_GAIN = 0.5
MIN_DIFFERENCES = 8
# ISO 639-1 codes of the languages charset_normalizer knows (its names), for a page's declared `lang`.
LANGUAGES = {
    "ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Farsi", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "kk": "Kazakh", "ko": "Korean", "lt": "Lithuanian", "nl": "Dutch", "no": "Norwegian",
    "nb": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak",
    "sl": "Slovene", "sr": "Serbian", "sv": "Swedish", "ta": "Tamil", "th": "Thai", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese", "iw": "Hebrew",
}
_LANG = re.compile(rb"""<html\b[^>]*?\blang\s*=\s*["']?\s*([a-zA-Z]{2,3})\b""", re.IGNORECASE)
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
    page = _Page(data)
    candidates = _declared(data, content_type) or [UTF8]
    for encoding in candidates:
        text = _strict(data, encoding)
        if text is not None and not _is_mojibake(page, encoding):
            return _better_reading(page, encoding) or text
    first = candidates[0]
    if _mostly_decodes(data, first) and not _is_mojibake(page, first):
        return _better_reading(page, first) or to_unicode(data, first)
    best = _best_match(page.sample)
    return to_unicode(data, best) if best is not None else to_unicode(data, first)


class _Page:
    """A page's bytes and its text sample, made once and only when a check needs it (the markup removal is a
    pass over up to SCAN_BYTES)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    @cached_property
    def sample(self) -> bytes:
        return _sample(self.data)


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


def _is_mojibake(page: _Page, encoding: str) -> bool:
    """A legacy-charset reading whose text is mess (UTF-8 that decodes is never checked: it is right)."""
    if _is_utf(encoding):
        return False
    sample = page.sample
    return not sample.isascii() and mess_ratio(sample.decode(encoding, errors="replace"), 1.0) > MOJIBAKE_MESS


def _best_match(sample: bytes) -> str | None:
    """The charset the sample's text reads best in, or None when nothing reads well or it is ASCII or UTF-8
    (then the bytes that failed to decode lie outside the sample)."""
    reading = _reading(sample)
    return reading[1] if reading is not None else None


def _reading(sample: bytes) -> tuple[CharsetMatch, str] | None:
    """charset_normalizer's best match for the sample and the charset to read it in: windows-1252 when a match
    that could be from it reads as well (detection cannot tell Latin code pages apart on ASCII-heavy text, and
    1252 is the web's default); None when nothing reads well or the sample is ASCII or UTF-8."""
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches or matches[0].encoding in ("ascii", "utf_8"):
        return None
    best = matches[0]
    for match in matches:
        if (
            WESTERN in match.could_be_from_charset
            and match.chaos <= best.chaos + TIE_MARGIN
            and match.coherence >= best.coherence - TIE_MARGIN
        ):
            return best, WESTERN
    return best, best.encoding


def _better_reading(page: _Page, declared: str) -> str | None:
    """The page decoded with the detected charset when a single-byte declaration reads as the wrong text
    (see module docstring); None to keep the declaration."""
    if not _single_byte(declared):
        return None
    data, sample = page.data, page.sample
    if sample.isascii():
        return None
    reading = _reading(sample)
    if reading is None:
        return None
    best, encoding = reading
    kept, switched = sample.decode(declared, errors="replace"), sample.decode(encoding, errors="replace")
    kept_mess, switched_mess = mess_ratio(kept, 1.0), mess_ratio(switched, 1.0)
    if kept == switched or switched_mess > kept_mess:
        return None
    declared_language = _declared_language(data)
    if declared_language is not None and best.language != declared_language:
        return None
    kept_language, kept_coherence = _coherence(kept)
    coherence_gain = _coherence(switched)[1] - kept_coherence
    # the language whose letters judge the two readings: the declared one, else the one both read as
    language = declared_language or (kept_language if kept_language == best.language else None)
    clearer = (
        (kept_mess - switched_mess >= MESS_GAIN and coherence_gain >= -TIE_MARGIN)
        or coherence_gain >= COHERENCE_GAIN
        or (language is not None and _alphabet_gain(kept, switched, language) >= ALPHABET_GAIN)
    )
    if not clearer:
        return None
    return to_unicode(data, encoding) if _mostly_decodes(data, encoding) else None


def _declared_language(data: bytes) -> str | None:
    """charset_normalizer's name for the language of the page's `<html lang>`, None when none or unknown."""
    found = _LANG.search(data[:SCAN_BYTES])
    return LANGUAGES.get(found.group(1).decode("ascii").lower()) if found else None


def _coherence(text: str) -> tuple[str | None, float]:
    """The language the text reads best in and how well (0 to 1)."""
    languages = coherence_ratio(text)
    return languages[0] if languages else (None, 0.0)


def _alphabet_gain(kept: str, switched: str, language: str) -> float:
    """Of the characters two single-byte readings of the same bytes disagree on, the share that are letters of
    `language` in the switched reading minus the share in the kept one; 0 on too little evidence."""
    if len(kept) != len(switched):  # a multi-byte reading does not line up character by character
        return 0.0
    pairs = [(old.lower(), new.lower()) for old, new in zip(kept, switched, strict=True) if old != new]
    if len(pairs) < MIN_DIFFERENCES:
        return 0.0
    alphabet = set(FREQUENCIES.get(language, ()))
    return (sum(new in alphabet for _, new in pairs) - sum(old in alphabet for old, _ in pairs)) / len(pairs)


@cache
def _single_byte(encoding: str) -> bool:
    """A charset of one byte a character (the windows-125x, ISO 8859, KOI8 families), in which any bytes
    "decode": each of the 256 byte values reads as one character; not UTF-*, not the CJK multi-byte codecs."""
    try:
        return not _is_utf(encoding) and len(bytes(range(256)).decode(encoding, errors="replace")) == 256
    except LookupError:
        return False


@cache
def _is_utf(encoding: str) -> bool:
    return encoding.replace("_", "-").lower().startswith("utf")
