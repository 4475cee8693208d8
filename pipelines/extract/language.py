"""Language as BCP 47: the page's declaration, normalised, and overruled only by confident evidence.

Templates often declare the CMS default (`en-US` on a Spanish article), so the body text is checked
with py3langid; short texts are too weak to overrule anything, and a detector that agrees on the
primary subtag keeps the declared region (`pt-BR` stays `pt-BR`).
"""

import re
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

MIN_TEXT_CHARS = 200
MIN_CONFIDENCE = 0.95
# The detector reads a bounded sample of the text: its cost grows with the sample, its verdict on a
# page's language settles long before 2,000 characters.
SAMPLE_CHARS = 2000
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "nb": "no", "zh-cn": "zh-CN", "zh-tw": "zh-TW"}


def normalize_tag(declared: str | None) -> str | None:
    """`en_us` -> `en-US`, `zh-hans-cn` -> `zh-Hans-CN`, `EN` -> `en`; junk -> None."""
    if not declared:
        return None
    tag = declared.strip().split(",")[0].split(";")[0].strip()
    if not _TAG.match(tag):
        return None
    subtags = tag.replace("_", "-").split("-")
    primary = subtags[0].lower()
    primary = _ALIASES.get(primary, primary)
    rest = []
    for subtag in subtags[1:]:
        if len(subtag) == 4 and subtag.isalpha():
            rest.append(subtag.title())
        elif (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            rest.append(subtag.upper())
        else:
            rest.append(subtag.lower())
    return "-".join([primary, *rest])


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str, float] | None:
    """The detected primary language and its probability, or None when the text is too short to judge."""
    sample = " ".join(text[: 2 * SAMPLE_CHARS].split())[:SAMPLE_CHARS]
    if len(sample) < MIN_TEXT_CHARS:
        return None
    language, probability = _identifier().classify(sample)
    return str(language), float(probability)


def resolve_language(declared: str | None, text: str) -> str | None:
    """The declared tag, normalised; the detector's language instead when it confidently disagrees."""
    tag = normalize_tag(declared)
    detected = detect(text or "")
    if detected is None or detected[1] < MIN_CONFIDENCE:
        return tag
    language = normalize_tag(detected[0])
    if tag and language and tag.split("-")[0] == language:
        return tag
    return language
