"""Load the Readability sample pages in tests/fixtures/readability_sample (Apache-2.0, see its README)."""

import csv
import gzip
import json
from functools import cache
from pathlib import Path

from pipelines.extract.document import Document, parse_html

SAMPLE = Path(__file__).parent / "fixtures" / "readability_sample"
PAGE_URL = "http://fakehost/test/page.html"


@cache
def categories() -> dict[str, str]:
    with (SAMPLE / "categories.csv").open(encoding="utf-8") as handle:
        return {row["page"]: row["category"] for row in csv.DictReader(handle)}


def pages(category: str) -> list[str]:
    return sorted(name for name, kind in categories().items() if kind == category)


@cache
def html(name: str) -> str:
    """The page as stored in the corpus: UTF-8, whatever its <meta charset> still says."""
    return gzip.decompress((SAMPLE / "pages" / name / "source.html.gz").read_bytes()).decode("utf-8")


def document(name: str) -> Document:
    parsed = parse_html(html(name))
    assert parsed is not None
    return parsed


def expected(name: str) -> dict:
    return json.loads((SAMPLE / "pages" / name / "expected-metadata.json").read_text(encoding="utf-8"))
