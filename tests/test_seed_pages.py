"""The five seed pages: every article paragraph kept exactly once, no line of the seeds' boilerplate.

Fixtures and their origin: tests/fixtures/seeds/README.md.
"""

from pathlib import Path

import pytest

from pipelines.extract.article import extract_article
from pipelines.extract.textnorm import normalize_text

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SEED_IDS = sorted(path.name.removesuffix(".html") for path in SEEDS.glob("*.html"))


def _paragraphs(text: str) -> list[str]:
    return [p for p in normalize_text(text).split("\n\n") if p]


@pytest.fixture(scope="module", params=SEED_IDS)
def seed(request: pytest.FixtureRequest) -> tuple[list[str], list[str], list[str]]:
    """(extracted paragraphs, truth paragraphs, boilerplate lines of the seed)."""
    name = request.param
    html = (SEEDS / f"{name}.html").read_bytes()
    text = extract_article(html, f"https://news.example/{name}")["text"]
    truth = _paragraphs((SEEDS / f"{name}.truth.txt").read_text(encoding="utf-8"))
    seed_lines = _paragraphs((SEEDS / f"{name}.seed.txt").read_text(encoding="utf-8"))
    return _paragraphs(text), truth, [line for line in seed_lines if line not in truth]


def test_there_are_five_seed_pages() -> None:
    assert len(SEED_IDS) == 5


def test_every_article_paragraph_kept_exactly_once(seed: tuple[list[str], list[str], list[str]]) -> None:
    extracted, truth, _ = seed
    assert [p for p in truth if extracted.count(p) != 1] == []


def test_no_boilerplate_line_survives(seed: tuple[list[str], list[str], list[str]]) -> None:
    extracted, _, boilerplate = seed
    assert [line for line in boilerplate if line in extracted] == []


def test_nothing_but_the_article(seed: tuple[list[str], list[str], list[str]]) -> None:
    extracted, truth, _ = seed
    assert extracted == truth
