"""Paywall detection: the publisher's declaration, vendor markup, and teaser-only bodies."""

from pipelines.extract.document import parse_html
from pipelines.extract.paywall import detect_paywall

LONG_TEXT = "The council voted on Tuesday to close the old harbour road for repairs. " * 40


def detect(html: str, text: str = LONG_TEXT, metadata: dict | None = None) -> dict:
    return detect_paywall(parse_html(html), text, metadata or {})


def test_open_article_is_not_paywalled() -> None:
    html = '<html><body><nav><a href="/subscribe">Subscribe</a></nav><article><p>Story</p></article></body></html>'
    assert detect(html, text="Short story, nothing more.") == {"detected": False, "signals": []}


def test_declared_not_free() -> None:
    result = detect("<html><body><p>x</p></body></html>", metadata={"is_accessible_for_free": False})
    assert result == {"detected": True, "signals": ["isAccessibleForFree=false"]}


def test_vendor_markup() -> None:
    for marker in ('class="paywall"', 'id="tp-container"', 'class="article subscriber-only"', 'class="meteredContent"'):
        result = detect(f"<html><body><div {marker}>x</div></body></html>")
        assert result["signals"] == ["paywall-markup"], marker


def test_teaser_only_body() -> None:
    html = (
        "<html><body><article><p>The first lines.</p><div>Subscribe to continue reading.</div></article></body></html>"
    )
    result = detect(html, text="The first lines of the story, and then nothing.")
    assert result == {"detected": True, "signals": ["teaser-only"]}
    assert detect(html, text=LONG_TEXT)["detected"] is False  # a full body with a prompt is not a teaser


def test_signals_accumulate() -> None:
    html = '<html><body><div class="paywall">Already a subscriber? Log in</div></body></html>'
    result = detect(html, text="Only the standfirst.", metadata={"is_accessible_for_free": False})
    assert result["signals"] == ["isAccessibleForFree=false", "paywall-markup", "teaser-only"]
