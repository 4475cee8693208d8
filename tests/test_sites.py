"""The sites file loader: valid files become Site objects, every mistake names the file, site and key."""

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from crawler.sites import (
    Site,
    SitesConfigError,
    load_sites,
    parse_sites,
    select_sites,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "sites.example.yaml"


def entry(**overrides: object) -> dict[str, object]:
    """A minimal valid site entry with some keys replaced or added."""
    return {"name": "herald", "homepage": "https://herald.example/", **overrides}


def parse_error(data: object) -> SitesConfigError:
    with pytest.raises(SitesConfigError) as info:
        parse_sites(data, source="sites.yaml")
    return info.value


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "sites.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_minimal_site_gets_defaults() -> None:
    [site] = parse_sites({"sites": [entry()]})
    assert site == Site(name="herald", homepage="https://herald.example/", allowed_domains=("herald.example",))


def test_full_site_is_converted() -> None:
    data = {
        "sites": [
            entry(
                homepage="https://www.Herald.example/",
                sections=["https://herald.example/world/"],
                feeds=["https://feeds.herald.example/all.xml"],
                sitemaps=["https://herald.example/news-sitemap.xml"],
                allowed_domains=["Herald.example"],
                article_patterns=[r"/\d{4}/\d{2}/"],
                deny_patterns=["/tag/"],
                language="pt-BR",
                delay=2,
                allow_private_network=True,
                render=True,
            )
        ]
    }
    [site] = parse_sites(data)
    assert site.render is True
    assert site.sections == ("https://herald.example/world/",)
    assert site.feeds == ("https://feeds.herald.example/all.xml",)
    assert site.sitemaps == ("https://herald.example/news-sitemap.xml",)
    assert site.allowed_domains == ("herald.example",)
    assert site.article_patterns == (re.compile(r"/\d{4}/\d{2}/"),)
    assert site.deny_patterns[0].search("https://herald.example/tag/x")
    assert (site.language, site.delay, site.allow_private_network) == ("pt-BR", 2.0, True)
    assert isinstance(site.delay, float)


def test_null_values_mean_not_given() -> None:
    [site] = parse_sites({"sites": [entry(feeds=None, language=None, delay=None, allowed_domains=None)]})
    assert (site.feeds, site.language, site.delay) == ((), None, None)
    assert site.allowed_domains == ("herald.example",)


def test_site_is_immutable() -> None:
    [site] = parse_sites({"sites": [entry()]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.name = "other"  # type: ignore[misc]


def test_example_file_is_valid_and_shows_every_key() -> None:
    herald, courier = load_sites(EXAMPLE)
    assert herald.name == "herald" and courier.allowed_domains == ("www.courier.example",)
    shown = set(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["sites"][0])
    assert shown == {field.name for field in dataclasses.fields(Site)}


def test_bad_regex_message_reads_as_documented() -> None:
    error = parse_error({"sites": [entry(article_patterns=["/ok/", "("])]})
    assert str(error) == (
        "sites.yaml: site 'herald': key 'article_patterns[1]': bad regex '(': "
        "missing ), unterminated subpattern at position 0 — fix the pattern (Python re syntax)"
    )
    assert (error.path, error.site, error.key) == ("sites.yaml", "herald", "article_patterns[1]")


@pytest.mark.parametrize(
    ("site", "key", "expected"),
    [
        (entry(feed=["https://herald.example/f"]), "feed", "did you mean 'feeds'?"),
        (entry(colour="red"), "colour", "known keys: name, homepage"),
        ({"homepage": "https://herald.example/"}, "name", "missing required key"),
        ({"name": "herald"}, "homepage", "missing required key"),
        (entry(homepage=None), "homepage", "expected a string, got nothing (null)"),
        (entry(feeds="https://herald.example/f"), "feeds", "write ['https://herald.example/f'] for a single item"),
        (entry(deny_patterns={"a": 1}), "deny_patterns", "expected a list, got a mapping"),
        (entry(sections=[1]), "sections[0]", "expected a string, got a number (1)"),
        (entry(homepage="herald.example"), "homepage", "expected an absolute http(s) URL"),
        (entry(homepage="ftp://herald.example/"), "homepage", "bad URL 'ftp://herald.example/'"),
        (entry(homepage="https://herald.example:99999/"), "homepage", "Port out of range"),
        (entry(feeds=["/feed.xml"]), "feeds[0]", "bad URL '/feed.xml'"),
        (entry(sitemaps=["https://cdn.example/s.xml"]), "sitemaps[0]", "on cdn.example, outside allowed_domains"),
        (entry(allowed_domains=["cdn.herald.example"]), "homepage", "add 'herald.example' to allowed_domains"),
        (entry(allowed_domains=[]), "allowed_domains", "leave the key out"),
        (entry(allowed_domains=["https://herald.example/"]), "allowed_domains[0]", "bare host name"),
        (entry(delay=-0.5), "delay", "expected seconds >= 0"),
        (entry(delay=float("nan")), "delay", "expected seconds >= 0"),
        (entry(delay="1"), "delay", "expected a number of seconds, got a string ('1')"),
        (entry(delay=True), "delay", "got a boolean"),
        (entry(language=False), "language", "YAML reads no/yes/on/off as booleans"),
        (entry(language="English"), "language", "expected a code like 'en'"),
        (entry(allow_private_network="yes"), "allow_private_network", "expected true or false"),
        (entry(render="yes"), "render", "expected true or false"),
    ],
)
def test_site_errors_name_site_and_key(site: dict[str, object], key: str, expected: str) -> None:
    error = parse_error({"sites": [site]})
    assert error.key == key
    assert error.site == site.get("name", "sites[0]")
    assert expected in str(error)
    assert str(error).startswith("sites.yaml: ")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Herald", "bad name 'Herald'"), ("her ald", "lower-case letters, digits and '-'"), (7, "got a number")],
)
def test_bad_names_are_located_by_position(name: object, expected: str) -> None:
    error = parse_error({"sites": [entry(), entry(name=name)]})
    assert (error.site, error.key) == ("sites[1]", "name")
    assert str(error).startswith("sites.yaml: sites[1]: key 'name': ")
    assert expected in str(error)


def test_duplicate_names_are_rejected() -> None:
    error = parse_error({"sites": [entry(), entry(name="courier"), entry()]})
    assert (error.site, error.key) == ("herald", "name")
    assert "sites[2], already used by sites[0]" in str(error)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "the file is empty"),
        ([entry()], "expected a mapping with a 'sites' list at the top, got a list"),
        ({}, "missing the top-level 'sites' list"),
        ({"site": [entry()]}, "did you mean 'sites'?"),
        ({"sites": entry()}, "expected a list of sites, got a mapping"),
        ({"sites": []}, "add at least one site"),
        ({"sites": ["herald"]}, "sites[0]: expected a mapping with at least 'name' and 'homepage'"),
    ],
)
def test_file_shape_errors(data: object, expected: str) -> None:
    assert expected in str(parse_error(data))


def test_load_sites_reads_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "sites:\n  - name: herald\n    homepage: https://herald.example/\n    language: 'no'\n")
    [site] = load_sites(path)
    assert site.language == "no"


def test_yaml_merge_keys_share_settings(tmp_path: Path) -> None:
    text = """
sites:
  - &base {name: herald, homepage: 'https://herald.example/', delay: 2.0, language: en}
  - <<: *base
    name: herald-de
    language: de
"""
    _, german = load_sites(write(tmp_path, text))
    assert (german.name, german.language, german.delay) == ("herald-de", "de", 2.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sites:\n  - name: herald\n    homepage: [unclosed\n", "sites.yaml:4: bad YAML: "),
        (
            "sites:\n  - name: herald\n    homepage: https://herald.example/\n    name: courier\n",
            "sites.yaml:4: bad YAML: while constructing a mapping found duplicate key 'name'",
        ),
        ("", "the file is empty"),
        (b"sites: \xff\n", "not UTF-8 text"),
    ],
)
def test_load_errors_name_the_file(tmp_path: Path, text: str | bytes, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SitesConfigError) as info:
        load_sites(path)
    assert info.value.path == str(path)
    assert expected in str(info.value).replace(str(tmp_path) + "/", "")


def test_missing_file_says_how_to_point_at_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SitesConfigError) as info:
        load_sites(tmp_path / "nope.yaml")
    assert str(info.value) == (f"{tmp_path}/nope.yaml: no such file — pass --sites PATH or set NEWSARCHIVE_SITES; "
                               "sites.example.yaml shows the format")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SitesConfigError, match=rf"^sites\.yaml: no such file \({tmp_path}/sites\.yaml\) — pass"):
        load_sites("sites.yaml")  # a relative path is shown resolved too


def test_directory_is_not_readable(tmp_path: Path) -> None:
    with pytest.raises(SitesConfigError, match="cannot read the file"):
        load_sites(tmp_path)


def test_select_sites_keeps_file_order() -> None:
    sites = parse_sites({"sites": [entry(name=n) for n in ("a", "b", "c")]})
    assert [s.name for s in select_sites(sites, ["c", "a", "c"], source="s.yaml")] == ["a", "c"]
    assert select_sites(sites, [], source="s.yaml") == sites


def test_select_sites_unknown_name_lists_known_names() -> None:
    sites = parse_sites({"sites": [entry(), entry(name="courier")]})
    with pytest.raises(SitesConfigError) as info:
        select_sites(sites, ["herlad"], source="sites.yaml")
    assert str(info.value) == (
        "sites.yaml: site 'herlad': key '--site': no such site (did you mean 'herald'?); "
        "known sites: courier, herald"
    )

