"""Bylines to person names: "By JANE DOE and John Roe, Staff Writers | Reuters" -> ["Jane Doe", "John Roe"].

Records promise person names only, so everything else a byline carries — the "By", roles, e-mail
addresses, dates, agencies and the publisher's own name — is stripped, and a fragment that still does
not look like a name is dropped rather than guessed at. Where on a page bylines are found is
`authors.py`'s business; this module only reads the strings.
"""

import re
from collections.abc import Iterable

from pipelines.extract.textnorm import CJK

BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|reported|reporting|text|story|words|photos?|video|interview|analysis)\s+)?"
    r"(?:by|von|par|por|di|da|door|av|af|przez|автор|от|author|autor|auteur|autore|text|texte|reporter|"
    r"yazan|yazar|بقلم|كتب)"
    r"\s*[:\-–—]?\s+",
    re.IGNORECASE,
)
# A byline word alone ("Written by", "Author:") whose name follows in the next element.
BYLINE_LABEL = re.compile(
    r"^\W*(?:(?:written|posted|published|reported|story|words) by|by|author|authors?|autor(?:in)?|auteur|autore|"
    r"von|par|por|di|door|av|af|przez|автор|yazar|كتب|بقلم)\W*$",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^\s*[\w ]{0,20}(?:作者|记者|编辑|責任編集|来源|撰文|文|By)\s*[:：/]\s*", re.IGNORECASE)
_NOT_AUTHOR = re.compile(
    r"^\s*(?:edit(?:ed|ing)|photos?|photography|illustrations?|graphics|translated|translation|additional)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_TRAILING_PARENS = re.compile(r"\s*[(\[（]([^)\]）]*)[)\]）]\s*$")
_INNER_PARENS = re.compile(r"[(\[（]([^)\]）]*)[)\]）]")
_DATE_TAIL = re.compile(
    r"(?:\s|\d|^)(?:(?:updated|published|posted|le|am|on)\s+)?"
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    r"(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}).*$",
    re.IGNORECASE,
)
# One-letter conjunctions (es "y", pt "e", ca "i") only in lower case, so initials ("Bruce Y. Lee") survive;
# a full stop after a surname ("Finian Cunningham. Sputnik") also separates.
_SEPARATORS = re.compile(
    r"\s*(?:,|;|\||/|\n|&|\+|·|•|、|，|(?<=\w{3})\.\s|\band\b|\bund\b|\bet\b|(?-i:\b[yei]\b)(?!\.)|\ben\b|\bog\b"
    r"|\boch\b|\bwith\b|\bavec\b|\bmit\b|\bcon\b|\bcom\b)\s*",
    re.IGNORECASE,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Job titles and beats: "Jane Doe Senior Games Editor" ends the name at "Senior".
_JOB_WORDS = _words(
    "staff writer writers reporter reporters correspondent correspondents editor editors senior "
    "chief contributor contributing columnist columnists producer photographer photographers "
    "journalist journalists analyst special desk team contributors correspondant correspondante "
    "envoyé envoyée spécial spéciale redakteur redakteurin autor autorin health international "
    "national political politics business science technology tech sports culture opinion games "
    "entertainment travel food fashion music film books arts money finance economics world foreign "
    "metro city local education environment climate energy legal crime security defense features "
    "investigations investigative managing executive deputy associate assistant developers"
)
# Words of organisations and page furniture: a fragment holding one is not a person at all.
_ORG_WORDS = _words(
    "newsroom redaktion rédaction redacción redazione agency agencies agencia agence wire wires news "
    "media press online digital associated reuters afp ap dpa ansa efe upi pti bloomberg cnn bbc nbc "
    "abc cbs guardian times post inc ltd llc gmbh group magazine daily weekly newspaper network "
    "partner partners sponsored content updated published min read minutes share comments follow "
    "twitter facebook instagram linkedin email editorial bureau staff team reports the official today "
    "foundation institute university college school council association society center centre company "
    "corporation store shop studio studios labs solutions services consulting bank insurance clinic hospital "
    "bio biography profile full view more read contact privacy policy conditions terms cookies login subscribe"
)
_CREDENTIALS = frozenset(("ma", "ms", "md", "phd", "mph", "rn", "mba", "bsc", "msc", "jr", "sr", "ii", "iii", "iv"))
_HONORIFICS = frozenset(("dr", "prof", "mr", "mrs", "ms"))
_NAME_CHARS = re.compile(r"^[^\W\d_][\w'’.\- ]*$")


def _is_cjk_name(text: str) -> bool:
    return bool(CJK.search(text)) and 2 <= len(text) <= 4 and " " not in text


def _strip_roles(name: str) -> str:
    """Drop a trailing job title ("Games Editor"), credentials ("MA") and honorifics.

    A role word after at least two name words ends the name; one earlier means the fragment is a
    role or an organisation, which `looks_like_person` then rejects.
    """
    words = name.split()
    role_at = next((i for i, w in enumerate(words) if w.lower().strip(".,") in _JOB_WORDS), None)
    if role_at is not None and role_at >= 2:
        words = words[:role_at]
    while words and words[-1].lower().strip(".") in _CREDENTIALS:
        words.pop()
    while words and words[0].lower().strip(".") in _HONORIFICS:
        words.pop(0)
    return " ".join(words)


def looks_like_person(name: str, *, organisations: Iterable[str] = ()) -> bool:
    """Two to five name-like words (or a short CJK name), no role words, not the publisher."""
    if _is_cjk_name(name):
        return True
    if not _NAME_CHARS.match(name):
        return False
    words = name.split()
    if not 2 <= len(words) <= 5 or len(name) > 60:
        return False
    lowered = {w.lower().strip(".’'") for w in words}
    if lowered & (_ORG_WORDS | _JOB_WORDS):
        return False
    key = _key(name)
    for org in filter(_key, organisations):
        org_key = _key(org)
        if key == org_key or (len(org_key) > 3 and org_key in key):
            return False
        if key in org_key and len(key) >= len(org_key) * 0.6 and not _named_after(key, org):
            return False
    return all(
        w[0].isupper()
        or _caseless(w[0])
        or w.lower() in {"de", "da", "van", "von", "der", "den", "le", "la", "di", "del"}
        or "'" in w
        for w in words
    )


def _named_after(key: str, site: str) -> bool:
    """A site named after its author: the name opens the site's name and no organisation word follows
    ("Ibrahim Diallo Blog", "Colin Watson's blog", "Jon Norris Photography"; not "Alpha Apex Group")."""
    return _key(site).startswith(key) and not {w.lower().strip(".’'") for w in site.split()} & _ORG_WORDS


def _caseless(letter: str) -> bool:
    """A letter of a script without capitals (Arabic, Hebrew, Devanagari, Thai…): no case to check."""
    return letter.isalpha() and letter.lower() == letter.upper()


def _key(text: str) -> str:
    return re.sub(r"\W", "", text).casefold()


def _tidy_case(name: str) -> str:
    """SHOUTED bylines ("JOE HILDEBRAND") become "Joe Hildebrand"; mixed case is left as written."""
    if name.isupper() and not CJK.search(name):
        return " ".join(w.capitalize() if len(w) > 1 else w for w in name.split())
    return name


def split_byline(byline: str, *, organisations: Iterable[str] = ()) -> list[str]:
    """One byline string to the person names in it."""
    organisations = list(organisations)
    text = _URL.sub(" ", _EMAIL.sub(" ", byline))
    text = _HANDLE.sub(" ", text).replace("\xa0", " ")
    # "Jane Doe (with John Roe)" adds people; "Bruno (Henrique) Rodrigues" is one person's full name.
    text = _TRAILING_PARENS.sub(lambda m: f", {m.group(1)}", text.strip())
    text = _INNER_PARENS.sub(lambda m: f" {m.group(1)} ", text)
    text = _DATE_TAIL.sub("", _LABEL.sub("", text))
    names = []
    for fragment in _SEPARATORS.split(text):
        if _NOT_AUTHOR.match(fragment):
            continue
        if BYLINE_LABEL.match(fragment):
            continue
        fragment = BY_PREFIX.sub("", fragment.strip(" -–—:|.,\t")).strip(" -–—:|.,\t")
        fragment = re.sub(r"\s+", " ", fragment)
        if {w.lower().strip(".’'") for w in fragment.split()} & _ORG_WORDS:
            continue  # "Investopedia Team", "Help Desk Staff": a name-like start does not make a person
        fragment = _strip_roles(fragment)
        fragment = _tidy_case(fragment)
        if fragment and looks_like_person(fragment, organisations=organisations):
            names.append(fragment)
    return names


def dedupe(names: Iterable[str]) -> list[str]:
    """Case- and punctuation-insensitive de-duplication, first spelling kept."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(_key(name), name)
    return list(seen.values())
