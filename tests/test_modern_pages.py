"""Modern page shapes (2023-2026) the AEB set lacks: each page's article text kept once, its junk gone.

Fixtures and what each one exercises: tests/fixtures/modern/README.md.
"""

from pathlib import Path

import pytest

from pipelines.extract.article import extract_article
from pipelines.extract.textnorm import normalize_text

MODERN = Path(__file__).parent / "fixtures" / "modern"
NAMES = sorted(path.name.removesuffix(".html") for path in MODERN.glob("*.html"))
# Junk lines of the fixtures that must never reach a record, whichever page they sit in.
JUNK = (
    "Advertisement",
    "Story continues below",
    "Continue reading the main story",
    "Listen to this article",
    "Skip to main content",
    "delivered to your inbox",
    "Sign up",
    "Photograph:",
    "Key points",
    "generated with the help of AI",
    "Loading",
    "Subscribe to continue",
    "Show more updates",
    "Anzeige",
    "SKIP ADVERTISEMENT",
    "newsletter promotion",
    "Privacy Notice",
    "Our morning email",
    "appears in print",
    "Supported by",
    "Share full article",
    "Gift this article",
    "Lesen Sie auch",
    "Czytaj także",
    "Läs också",
    "Читайте также",
)


def _paragraphs(text: str) -> list[str]:
    return [p for p in normalize_text(text).split("\n\n") if p]


@pytest.fixture(scope="module", params=NAMES)
def page(request: pytest.FixtureRequest) -> tuple[list[str], list[str]]:
    """(extracted paragraphs, expected paragraphs) of one fixture page."""
    name = request.param
    html = (MODERN / f"{name}.html").read_bytes()
    text = extract_article(html, f"https://news.example/2025/{name}")["text"]
    return _paragraphs(text), _paragraphs((MODERN / f"{name}.expected.txt").read_text(encoding="utf-8"))


def test_there_are_modern_fixtures() -> None:
    assert len(NAMES) >= 6


def test_article_text_kept_once_and_nothing_else(page: tuple[list[str], list[str]]) -> None:
    extracted, expected = page
    assert extracted == expected


def test_no_junk_line_survives(page: tuple[list[str], list[str]]) -> None:
    extracted, _ = page
    assert [junk for junk in JUNK if any(junk in paragraph for paragraph in extracted)] == []
