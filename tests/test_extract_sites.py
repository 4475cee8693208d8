"""Per-site extraction rules, golden tests: each stored page gives exactly its expected record fields.

`pytest tests/test_extract_sites.py --update-golden` rewrites the expectations from the current extractor.
Also: sites-file validation of the `extract:` key, and the rules reaching extraction in worker processes.
"""

import asyncio
import gzip
import json
from pathlib import Path

import pytest
import yaml

from crawler.sites import SitesConfigError, parse_sites
from pipelines.extract.article import extract_article
from pipelines.extract.pool import ExtractionPool
from pipelines.extract.sites import SiteRules, parser_for, registered_parsers, validate_rules

SITES = Path(__file__).parent / "fixtures" / "sites"
NAMES = sorted(path.name for path in SITES.iterdir() if path.is_dir())
GOLDEN_FIELDS = ("title", "authors", "published_at", "date_source", "language", "text")


def site_case(name: str) -> tuple[bytes, str, SiteRules | None]:
    folder = SITES / name
    spec = yaml.safe_load((folder / "site.yaml").read_text(encoding="utf-8"))
    rules = validate_rules(spec["extract"]) if "extract" in spec else None
    return gzip.decompress((folder / "page.html.gz").read_bytes()), spec["url"], rules


@pytest.mark.parametrize("name", NAMES)
def test_golden_site_page(name: str, request: pytest.FixtureRequest) -> None:
    page, url, rules = site_case(name)
    result = extract_article(page, url, rules=rules)
    fields = {key: result[key] for key in GOLDEN_FIELDS}
    expected_file = SITES / name / "expected.json"
    if request.config.getoption("--update-golden"):
        expected_file.write_text(json.dumps(fields, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert fields == json.loads(expected_file.read_text(encoding="utf-8"))


def test_every_registered_parser_has_a_golden_page() -> None:
    covered = {type(parser_for(site_case(name)[1])).__name__ for name in NAMES}
    assert {parser.__name__ for parser in registered_parsers().values()} <= covered


def test_site_rules_win_field_by_field_and_the_rest_stays_generic() -> None:
    page, url, rules = site_case("lemonde")
    generic = extract_article(page, url)
    only_date = extract_article(page, url, rules=SiteRules(date=rules.date))
    assert only_date["published_at"] == "2015-05-04T13:36:31+02:00"
    assert {key: only_date[key] for key in ("title", "authors", "text")} == {
        key: generic[key] for key in ("title", "authors", "text")
    }
    missing = extract_article(page, url, rules=SiteRules(body="div.no-such-class"))
    assert missing["text"] == generic["text"]  # a selector that finds nothing leaves the field generic


def test_rules_reach_extraction_in_worker_processes() -> None:
    page, url, _ = site_case("lemonde")
    pool = ExtractionPool(1)
    try:
        result = asyncio.run(pool.extract(page, url, rules=SiteRules(title="//p[@class='bloc_signature']/span")))
    finally:
        pool.close()
    assert result["title"] == "Le Monde"


def sites_file(extract: object) -> dict:
    return {"sites": [{"name": "herald", "homepage": "https://herald.example/", "extract": extract}]}


def test_sites_file_extract_key_is_validated() -> None:
    site = parse_sites(sites_file({"body": "div.story", "date": "//time/@datetime", "parser": "heise"}))[0]
    assert site.extract == SiteRules(body="div.story", date="//time/@datetime", parser="heise")
    assert parse_sites(sites_file(None))[0].extract is None


@pytest.mark.parametrize(
    ("extract", "key", "fix"),
    [
        ({"body": "div[["}, "extract.body", "bad CSS selector"),
        ({"date": "//time[@"}, "extract.date", "bad XPath"),
        ({"bdy": "div.story"}, "extract.bdy", "known keys: body, title, authors, date, parser"),
        ({"parser": "nosuch"}, "extract.parser", "registered parsers: heise"),
        ({"title": 3}, "extract.title", "expected a non-empty string"),
        ("div.story", "extract", "expected a mapping"),
        ({}, "extract", "give at least one of"),
    ],
)
def test_sites_file_extract_errors_name_the_key_and_the_fix(extract: object, key: str, fix: str) -> None:
    with pytest.raises(SitesConfigError) as error:
        parse_sites(sites_file(extract))
    assert error.value.key == key and fix in str(error.value)
