"""Right text from wrong bytes: lying or missing charset declarations, XHTML prologs, huge pages.

Real pages in several languages (fixtures: Zyte's AEB sample, Mozilla's Readability sample), re-encoded
the way servers get it wrong. Each must give the same text as the page read right: no U+FFFD, no mojibake.
"""

import gzip
import json
import re
from pathlib import Path

import pytest

from pipelines.extract.article import extract_article
from pipelines.extract.charset import decode_page
from pipelines.extract.document import parse_html
from tests import readability_sample as sample

AEB_HTML = Path(__file__).parent / "fixtures" / "aeb_sample" / "html"
URL = "https://news.example/2024/05/01/story"
# What a wrong decoding leaves in text: replacement characters and the usual mojibake pairs.
GARBLE = ("\ufffd", "Ã", "Â", "Ð", "Ñ", "â€", "縺", "繧")
_META_CHARSET = re.compile(r"<meta\b[^>]*charset[^>]*>", re.IGNORECASE)


def aeb_page(prefix: str) -> str:
    path = next(AEB_HTML.glob(f"{prefix}*.html.gz"))
    return gzip.decompress(path.read_bytes()).decode("utf-8")


# name -> (page as text, words the article must contain, spelled right)
PAGES = {
    "ru": (lambda: aeb_page("3c6d3381"), ("аккаунтами", "красоте")),
    "ja": (lambda: aeb_page("f105de6e"), ("Kindle書籍", "デスクトップアプリ")),
    "de": (lambda: sample.html("heise"), ("verfügbar", "für")),
    "fr": (lambda: sample.html("lemonde-1"), ("renseignement", "député")),
    "cs": (lambda: sample.html("aktualne"), ("Součka", "přehlédnout")),
    "zh": (lambda: sample.html("gmw"), ("宇航员",)),
}


def relabelled(name: str, label: str | None, encoding: str) -> bytes:
    """The page with its charset declarations replaced by one `<meta charset>` of `label` (none when None),
    in `encoding`; characters the encoding lacks become character references, so a right reading gives
    exactly the original text."""
    html = PAGES[name][0]()
    assert _META_CHARSET.search(html), name
    html = _META_CHARSET.sub("", html)
    if label:
        html = re.sub(r"<head\b[^>]*>", lambda head: f'{head.group()}<meta charset="{label}">', html, count=1)
    return html.encode(encoding, errors="xmlcharrefreplace")


def text_of(data: bytes | str, content_type: str | None = None) -> str:
    return extract_article(data, URL, content_type=content_type)["text"]


def assert_reads_right(name: str, data: bytes, content_type: str | None) -> None:
    expected = text_of(PAGES[name][0]())
    text = text_of(data, content_type)
    assert not [mark for mark in GARBLE if mark in text and mark not in expected]
    for word in PAGES[name][1]:
        assert word in text
    assert text == expected


@pytest.mark.parametrize(
    ("name", "encoding", "label", "content_type"),
    [
        # the declaration fails to decode
        ("ru", "cp1251", "utf-8", "text/html; charset=utf-8"),
        ("ja", "euc-jp", "shift_jis", "text/html; charset=Shift_JIS"),
        ("fr", "cp1252", "utf-8", "text/html; charset=utf-8"),
        # the declaration decodes, to mojibake
        ("de", "utf-8", "iso-8859-1", "text/html; charset=iso-8859-1"),
        ("ru", "utf-8", "windows-1251", "text/html; charset=windows-1251"),
        ("ja", "utf-8", "iso-8859-1", None),
        ("ru", "cp1251", "iso-8859-1", "text/html; charset=iso-8859-1"),
        # no declaration at all
        ("ja", "shift_jis", None, "text/html"),
        ("ru", "koi8-r", None, None),
        ("fr", "cp1252", None, "text/html"),
        ("cs", "cp1250", None, None),
        # a header that lies and a <meta> that tells the truth
        ("cs", "cp1250", "windows-1250", "text/html; charset=utf-8"),
    ],
)
def test_wrong_or_missing_declaration_is_read_from_the_bytes(
    name: str, encoding: str, label: str | None, content_type: str | None
) -> None:
    assert_reads_right(name, relabelled(name, label, encoding), content_type)


@pytest.mark.parametrize(
    ("name", "encoding", "label"),
    [("zh", "gb18030", "gb2312"), ("cs", "iso-8859-2", "iso-8859-2"), ("ja", "shift_jis", "shift_jis"),
     ("de", "cp1252", "windows-1252"), ("fr", "utf-16-le", None)],
)
def test_a_true_declaration_is_followed(name: str, encoding: str, label: str | None) -> None:
    content_type = f"text/html; charset={label or encoding}"
    assert_reads_right(name, relabelled(name, label, encoding), content_type)


def test_a_stray_byte_does_not_make_a_utf8_page_legacy() -> None:
    """One cp1252 byte in an advert: the page stays UTF-8, that one character is replaced."""
    data = relabelled("de", "utf-8", "utf-8").replace(b"</title>", b"</title><span>caf\xe9</span>", 1)
    text = text_of(data, "text/html; charset=utf-8")
    assert "verfügbar" in text and "Ã" not in text


def test_byte_order_mark_wins_over_the_declaration() -> None:
    data = b"\xef\xbb\xbf" + relabelled("de", "windows-1252", "utf-8")
    assert_reads_right("de", data, "text/html; charset=windows-1252")


def test_decode_page_on_bytes_that_are_no_text() -> None:
    for data in (b"", b"\x00\xff" * 100, bytes(range(256)) * 10, b"\x81\x8d\x8f\x90\x9d"):
        assert isinstance(decode_page(data, "text/html; charset=utf-8"), str)
        assert isinstance(decode_page(data), str)


XML_PROLOG = '<?xml version="1.0" encoding="{encoding}"?>\n'
XHTML_DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
)


@pytest.mark.parametrize(
    ("name", "encoding", "content_type"),
    [("de", "ISO-8859-1", "application/xhtml+xml"), ("fr", "utf-8", "text/html; charset=utf-8"),
     ("ja", "Shift_JIS", "application/xhtml+xml; charset=Shift_JIS")],
)
def test_xhtml_with_an_xml_prolog(name: str, encoding: str, content_type: str) -> None:
    """The prolog names the encoding; the page is parsed and its text comes out."""
    html = re.sub(r"^<!DOCTYPE[^>]*>", "", _META_CHARSET.sub("", PAGES[name][0]()))
    html = XML_PROLOG.format(encoding=encoding) + XHTML_DOCTYPE + html
    data = html.encode(encoding, errors="xmlcharrefreplace")
    document = parse_html(data, content_type=content_type)
    assert document is not None
    assert document.tree.xpath("//a[@href]")  # its links are there to follow
    assert_reads_right(name, data, content_type)


def test_xhtml_prolog_in_an_already_decoded_page() -> None:
    html = XML_PROLOG.format(encoding="ISO-8859-1") + sample.html("heise")
    assert text_of(html) == text_of(sample.html("heise"))


def test_huge_page_with_a_10_mb_json_blob() -> None:
    """A 30 MB page: a 10 MB hydration blob before the article and 20 MB of padding after it. libxml2's
    default limits ended the parse at the blob, leaving no text."""
    blob = json.dumps({"props": {"pageProps": {"cache": ["x" * 1000] * 10_000}}})
    script = f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>'
    html = re.sub(r"<body\b", lambda body: script + body.group(), sample.html("lemonde-1"), count=1)
    html = html.replace("</body>", "<!--" + "pad " * 5_000_000 + "--></body>", 1)
    data = html.encode("utf-8")
    assert len(data) > 30_000_000
    text = text_of(data, "text/html; charset=utf-8")
    assert text == text_of(sample.html("lemonde-1"))
    assert "renseignement" in text


@pytest.mark.parametrize("tag", ["script", "style", "p", "textarea"])
def test_a_text_node_over_10_mb_does_not_end_the_parse(tag: str) -> None:
    huge = f"<{tag}>" + "word " * 2_200_000 + f"</{tag}>"
    html = re.sub(r"<body\b[^>]*>", lambda body: body.group() + huge, sample.html("heise"), count=1)
    assert "verfügbar" in text_of(html.encode(), "text/html; charset=utf-8")


TR = ("Liman kurulu salı günü deniz duvarının yeniden inşa maliyetini görüşmek üzere toplandı; üyeler ilkbaharda "
      "ayrılan bütçenin kış aylarında planlanan işlere yetmeyeceğini söyledi. Belediye başkanı, dalgakıranın "
      "güçlendirilmesi için şehir meclisinden ek ödenek isteyeceğini açıkladı.")
HE = ("ועדת הנמל התכנסה ביום שלישי כדי לדון בעלות בניית חומת הים מחדש, והחברים אמרו שהתקציב שהוקצה באביב לא "
      "יספיק לעבודות המתוכננות לחודשי החורף. ראש העירייה הודיע כי יבקש ממועצת העיר תקציב נוסף לחיזוק שובר הגלים.")


def short_article(lang: str, text: str, label: str) -> str:
    """A small article page declaring `label` and its language (`lang=""`: none)."""
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(3))
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{label}"><title>{text[:40]}</title></head>'
            f"<body><article><h1>{text[:40]}</h1>{paragraphs}</article></body></html>")


@pytest.mark.parametrize(
    ("name", "encoding", "label"),
    [("ru", "cp1251", "koi8-r"), ("ru", "koi8-r", "windows-1251"), ("cs", "cp1250", "windows-1252")],
)
def test_a_single_byte_page_labelled_as_another_single_byte_charset(name: str, encoding: str, label: str) -> None:
    """The label decodes (every byte means something in it) to text of the wrong letters."""
    assert_reads_right(name, relabelled(name, label, encoding), None)


@pytest.mark.parametrize(
    ("lang", "text", "encoding", "label"),
    [("tr", TR, "cp1254", "iso-8859-1"), ("", TR, "cp1254", "iso-8859-1"), ("he", HE, "cp1255", "windows-1251"),
     ("", HE, "cp1255", "windows-1251")],
)
def test_short_pages_in_the_wrong_single_byte_charset(lang: str, text: str, encoding: str, label: str) -> None:
    data = short_article(lang, text, label).encode(encoding)
    assert decode_page(data) == data.decode(encoding)
    assert decode_page(data, f"text/html; charset={label}") == data.decode(encoding)
    assert text in text_of(data)


@pytest.mark.parametrize(
    ("name", "encoding", "label"),
    [("ru", "cp1251", "windows-1251"), ("ru", "koi8-r", "koi8-r"), ("de", "cp1252", "iso-8859-1"),
     ("fr", "cp1252", "windows-1252"), ("fr", "cp1252", "iso-8859-1"), ("cs", "cp1250", "windows-1250")],
)
def test_a_right_single_byte_label_is_kept(name: str, encoding: str, label: str) -> None:
    data = relabelled(name, label, encoding)
    assert decode_page(data) == data.decode(encoding)
    assert_reads_right(name, data, f"text/html; charset={label}")


def test_a_right_label_is_kept_on_short_pages_and_a_lang_that_disagrees_keeps_the_label() -> None:
    turkish = short_article("tr", TR, "windows-1254").encode("cp1254")
    assert decode_page(turkish) == turkish.decode("cp1254")
    hebrew = short_article("he", HE, "windows-1255").encode("cp1255")
    assert decode_page(hebrew) == hebrew.decode("cp1255")
    # a page saying it is English: the latin-1 reading (a Latin script, like English) is no clear error
    english = short_article("en", TR, "iso-8859-1").encode("cp1254")
    assert decode_page(english) == english.decode("cp1252")
