"""Bylines to person names: "By JANE DOE and John Roe, Staff Writers | Reuters" -> ["Jane Doe", "John Roe"].

Records promise person names only, so everything else a byline carries — the "By", roles, e-mail
addresses, dates, agencies and the publisher's own name — is stripped, and a fragment that still does
not look like a name is dropped rather than guessed at.
"""

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from pipelines.extract.metadata.jsonld import JsonLd, node_types, text_values
from pipelines.extract.metadata.metatags import MetaTags
from pipelines.extract.textnorm import CJK

MAX_MARKUP_AUTHORS = 6
MAX_MARKUP_GROUPS = 3
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")

_PREFIX = re.compile(
    r"^\s*(?:(?:written|reported|reporting|text|story|words|photos?|video|interview|analysis)\s+)?"
    r"(?:by|von|par|por|di|da|door|av|af|przez|автор|от|author|autor|auteur|autore|text|texte|reporter|"
    r"yazan|yazar|بقلم|كتب)"
    r"\s*[:\-–—]?\s+",
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
        if _BYLINE_LABEL.match(fragment):
            continue
        fragment = _PREFIX.sub("", fragment.strip(" -–—:|.,\t")).strip(" -–—:|.,\t")
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


def _jsonld_authors(jsonld: JsonLd) -> tuple[list[str], list[str]]:
    """Authors of the article node: (typed Person, untyped). Organization authors are publishers, not
    people; a node typed Person is one even when a personal site bears the same name."""
    article = jsonld.article or {}
    raw = article.get("author") or article.get("creator")
    items: list[Any] = raw if isinstance(raw, list) else [raw]
    persons: list[str] = []
    untyped: list[str] = []
    for item in items:
        item = jsonld.resolve(item)
        types = " ".join(node_types(item)) if isinstance(item, dict) else ""
        if "Organization" in types:
            continue
        (persons if "Person" in types else untyped).extend(text_values(item))
    return persons, untyped


# A byline word alone ("Written by", "Author:") whose name follows in the next element.
_BYLINE_LABEL = re.compile(
    r"^\W*(?:(?:written|posted|published|reported|story|words) by|by|author|authors?|autor(?:in)?|auteur|autore|"
    r"von|par|por|di|door|av|af|przez|автор|yazar|كتب|بقلم)\W*$",
    re.IGNORECASE,
)
TEXT_BYLINE_MAX_CHARS = 80
# Short text blocks where a byline sits: not in navigation, footers, asides, lists of links or forms.
_SHORT_TEXT_BLOCKS = etree.XPath(
    "//body//*[self::p or self::div or self::span or self::address or self::strong or self::h5 or self::h6]"
    "[string-length(normalize-space()) > 1][string-length(normalize-space()) <= 80][not(*[self::p or self::div])]"
    "[not(ancestor::nav or ancestor::footer or ancestor::aside or ancestor::li or ancestor::form"
    " or ancestor::header[not(ancestor::article)])]"
)
_AUTHOR_LINKS = etree.XPath(
    "//body//a[re:test(@href, '/(?:author|authors|autor|autoren|auteur|auteurs|autore|autori|journalist|"
    "journalists|people|person|profile|profiles|team|staff|contributors?|writers?|redaktion|redacteur|"
    "byline|producers?|experts?)/[^/?#]+/?$', 'i')]"
    "[not(ancestor::nav or ancestor::footer or ancestor::aside or ancestor::form)]"
    "[string-length(normalize-space()) > 3]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)

_BYLINE_XPATHS = (
    "//*[@itemprop='author']//*[@itemprop='name']",
    "//*[@itemprop='author'][not(.//*[@itemprop='name'])]",
    "//*[contains(@class, 'byline') or contains(@class, 'Byline') or contains(@class, 'authorname')"
    " or contains(@class, 'author-name') or contains(@class, 'author__name')]",
    "//a[@rel='author']",
    "//*[contains(@class, 'author')][not(self::body or self::article)][string-length(normalize-space()) < 100]",
)


_TEASER_PLACES = etree.XPath("boolean(ancestor::li or ancestor::aside or ancestor::nav or ancestor::footer)")


def _markup_bylines(tree: HtmlElement, xpath: str | etree.XPath) -> list[list[str]]:
    """Byline groups in page order: each matching element with its siblings that match too (one byline,
    several authors).

    The first group that names a person wins (`find_authors`): an empty author box or one holding only
    the publisher's name does not hide the real byline further down. Later groups are often teasers for
    other stories, so only the first few are read, and none from a list item, aside, nav or footer.
    """
    matches = xpath(tree) if isinstance(xpath, etree.XPath) else tree.xpath(xpath)
    wrappers = {ancestor for match in matches for ancestor in match.iterancestors()}
    matches = [m for m in matches if m not in wrappers]  # the innermost elements name one author each
    groups: list[list[str]] = []
    seen: set[Any] = set()
    for first in matches:
        if first in seen or len(groups) >= MAX_MARKUP_GROUPS:
            continue
        if groups and _TEASER_PLACES(first):
            continue  # "more from this author" lists and related-story boxes
        parent = first.getparent()
        same_byline = [m for m in matches if m is first or (m.getparent() is parent and m not in seen)]
        seen.update(same_byline)
        groups.append([" ".join(" ".join(m.itertext()).split()) for m in same_byline[:MAX_MARKUP_AUTHORS]])
    return groups


def _labelled_meta(meta: MetaTags) -> list[str]:
    """`twitter:label1` "Written by" with its `twitter:data1` (the pair link unfurlers show)."""
    return [
        data
        for index in ("1", "2", "3")
        if (label := meta.get(f"twitter:label{index}")) and _BYLINE_LABEL.match(label)
        if (data := meta.get(f"twitter:data{index}"))
    ]


def _text_bylines(tree: HtmlElement) -> list[str]:
    """Bylines no class name gives away: the first short element whose text starts with a byline word
    ("By …", "Written by …", "Von …", "Par …"), or that word alone followed by the name."""
    for element in _SHORT_TEXT_BLOCKS(tree):
        text = " ".join(element.text_content().split())
        if _BYLINE_LABEL.match(text):
            following = element.getnext()
            if following is not None:
                return [" ".join(following.text_content().split())]
        elif _PREFIX.match(text) and len(text) <= TEXT_BYLINE_MAX_CHARS:
            return [text]
    return []


def find_authors(tree: HtmlElement, jsonld: JsonLd, meta: MetaTags, *, organisations: Iterable[str]) -> list[str]:
    """Person names from the first source that yields any: JSON-LD (a node typed Person is taken even
    when the site bears its name), meta tags, byline markup (its first few bylines in page order), byline
    text, links to author pages."""
    organisations = [o for o in organisations if o]
    persons, untyped = _jsonld_authors(jsonld)
    sources: list[tuple[Any, list[str]]] = [(lambda: [persons], []), (lambda: [untyped], organisations)]
    sources += [(lambda: [meta.all(*AUTHOR_META)], organisations), (lambda: [_labelled_meta(meta)], organisations)]
    sources += [(lambda xpath=xpath: _markup_bylines(tree, xpath), organisations) for xpath in _BYLINE_XPATHS]
    sources += [(lambda: [_text_bylines(tree)], organisations)]
    sources += [(lambda: _markup_bylines(tree, _AUTHOR_LINKS), organisations)]
    for source, known in sources:
        for group in source():
            names = dedupe(n for byline in group for n in split_byline(byline, organisations=known))
            if names:
                return names
    return []
