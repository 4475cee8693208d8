"""extract_article never raises: empty, binary, broken markup, wrong charsets, hostile nesting."""

import logging
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.extract.article import CONTENT_FIELDS, extract_article
from pipelines.extract.body.text import extract_body
from pipelines.extract.document import parse_html

URL = "https://news.example/a"
TAGS = [
    "p",
    "div",
    "article",
    "span",
    "a",
    "br",
    "h1",
    "h2",
    "li",
    "ul",
    "script",
    "style",
    "table",
    "td",
    "blockquote",
    "figure",
    "nav",
    "aside",
    "form",
    "template",
    "svg",
    "iframe",
    "meta",
    "title",
]
ATTRS = [
    "",
    ' class="share-bar"',
    ' class="article-body"',
    ' id="comments"',
    " hidden",
    ' style="display:none"',
    ' itemprop="articleBody"',
    ' role="navigation"',
    ' class="x" id="',
    ' href="javascript:void(0)"',
]
WORDS = [
    "Leave a Comment",
    "Read also:",
    "The minister said on Tuesday that talks would resume.",
    "&nbsp;",
    "&#0;",
    "&#xD800;",
    "\x00",
    "\ufffd",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?xml ?>",
    "\u202e",
    "é",
    "日本語",
]

markup = st.recursive(
    st.sampled_from(WORDS) | st.text(string.printable, max_size=30),
    lambda inner: st.builds(
        lambda tag, attr, children, close: f"<{tag}{attr}>{''.join(children)}" + (f"</{tag}>" if close else ""),
        st.sampled_from(TAGS),
        st.sampled_from(ATTRS),
        st.lists(inner, max_size=4),
        st.booleans(),
    ),
    max_leaves=40,
)
charsets = st.sampled_from(
    [
        None,
        "text/html",
        "text/html; charset=utf-8",
        "text/html; charset=iso-8859-1",
        "text/html; charset=shift_jis",
        "text/html; charset=bogus-charset",
        "text/html; charset=",
    ]
)
encodings = st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1251", "shift_jis"])
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


def assert_complete_record(result: dict) -> None:
    assert set(CONTENT_FIELDS) <= set(result)
    assert isinstance(result["text"], str)
    assert "\n\n\n" not in result["text"]


@FUZZ
@given(st.binary(max_size=2000), charsets)
def test_binary_input(data: bytes, content_type: str | None) -> None:
    assert_complete_record(extract_article(data, URL, content_type=content_type))


@FUZZ
@given(html=markup, encoding=encodings, content_type=charsets)
def test_broken_markup_in_any_encoding(
    html: str, encoding: str, content_type: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """No crash, and none merely swallowed by our catch-alls (third-party log noise aside)."""
    caplog.clear()
    data = html.encode(encoding, errors="replace")
    with caplog.at_level(logging.ERROR):
        assert_complete_record(extract_article(data, URL, content_type=content_type))
    swallowed = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("pipelines")]
    assert [f"{r.name}: {r.getMessage()}" for r in swallowed] == []


@FUZZ
@given(st.text(max_size=500))
def test_any_text(html: str) -> None:
    assert_complete_record(extract_article(html, URL))
    document = parse_html(html)
    if document is not None:
        assert isinstance(extract_body(document, URL, metadata={"title": None, "json_ld_body": 3}), str)


def test_empty_and_whitespace() -> None:
    for html in (b"", "", "   \n\t", b"\x00\x00", b"\xef\xbb\xbf"):
        result = extract_article(html, URL)
        assert result["text"] == "" and result["word_count"] == 0


def test_deep_nesting_does_not_hit_the_recursion_limit() -> None:
    paragraph = "<p>" + "Deep text that still counts as an article paragraph. " * 5 + "</p>"
    html = "<div>" * 5000 + paragraph + "</div>" * 5000
    assert_complete_record(extract_article(html, URL))


def test_huge_flat_page() -> None:
    paragraph = "<p>Paragraph with some words in it, repeated many times over.</p>"
    html = "<html><body>" + paragraph * 20000 + "</body></html>"
    assert_complete_record(extract_article(html, URL))


def test_wrong_declared_charset_still_gives_text() -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"></head><body><article>'
        + ("<p>Le ministre a déclaré mardi que les négociations reprendraient la semaine prochaine à Genève.</p>" * 3)
        + "</article></body></html>"
    )
    result = extract_article(html.encode("utf-8"), URL, content_type="text/html; charset=utf-8")
    assert "négociations" in result["text"]


@pytest.mark.parametrize(
    "data",
    ["[" * 100_000 + "]" * 100_000, '{"props": ' * 5000 + "1" + "}" * 5000, "{not json", '{"a": "\\ud800"}'],
)
def test_hostile_hydration_data_keeps_the_markup_text(data: str) -> None:
    """Next.js data nested past every limit or malformed must not cost the page its text."""
    paragraph = "<p>" + "The markup still holds the article text, sentence after sentence. " * 4 + "</p>"
    html = f'<html><body><article>{paragraph}</article><script id="__NEXT_DATA__">{data}</script></body></html>'
    result = extract_article(html, URL)
    assert_complete_record(result)
    assert "sentence after sentence" in result["text"]
