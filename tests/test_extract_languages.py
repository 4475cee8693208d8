"""Pages in many languages and scripts: the article comes out whole and the page's furniture does not,
with no phrase list for the language (cookie banner, navigation, share bar, related links, teasers and
footer are in the page's own language). Japanese has no spaces between words; Arabic is right to left.

Fixtures (tests/fixtures/languages/, our own texts): `<lang>.html` and `<lang>.expected.json` (title,
authors, date, language, text, and lines of furniture that must not reach the text).
"""

import json
from pathlib import Path

import pytest

from pipelines.extract.article import extract_article

LANGUAGES = Path(__file__).parent / "fixtures" / "languages"
CODES = sorted(path.stem for path in LANGUAGES.glob("*.html"))


@pytest.fixture(scope="module", params=CODES)
def case(request: pytest.FixtureRequest) -> tuple[dict, dict]:
    code = request.param
    expected = json.loads((LANGUAGES / f"{code}.expected.json").read_text(encoding="utf-8"))
    page = (LANGUAGES / f"{code}.html").read_bytes()
    return extract_article(page, f"https://news.example/{code}/2025/story"), expected


def test_the_fixtures_cover_the_languages_issue_10_names() -> None:
    assert {"de", "fr", "es", "it", "sv", "ja", "tr", "ar"} <= set(CODES)


def test_article_text_whole_and_alone(case: tuple[dict, dict]) -> None:
    result, expected = case
    assert result["text"] == expected["text"]
    assert [line for line in expected["junk"] if line in result["text"]] == []


def test_metadata_in_every_language(case: tuple[dict, dict]) -> None:
    result, expected = case
    assert {key: result[key] for key in ("title", "authors", "published_at", "language")} == {
        key: expected[key] for key in ("title", "authors", "published_at", "language")
    }
