"""Update tracking (docs/versions.md): real crawls of a local site whose articles are edited between runs.

Three articles, crawled with `revisit: [1s, 1h]`, then edited and crawled again once the first revisit is due:
- one gets a new headline, a corrected figure and an appended correction note: version 2 with its summary;
- one changes only its page chrome (related stories, ticker, ad): archived in full, no new version;
- one is unchanged: asked for conditionally (the server's log shows the validators sent), answered 304,
  archived as a revisit record, no record.
A third crawl straight after asks for none of them (the next revisit is an hour away), and `history` lists the
versions and prints the word diff.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines.layout import REEXTRACT_MARK
from pipelines.records.build import validate_record
from pipelines.store.factory import open_store
from pipelines.warc.records import REVISIT_NOT_MODIFIED
from tests.archive_checks import jsonl_gz
from tests.conftest import run_cli
from tests.versions_site import Article, VersionsSite, serve_versions_site, versions_sites_yaml

FAST = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
        "NEWSARCHIVE_EXTRACT_WORKERS": "0"}
BODY = ["The council met on Monday to debate the harbour wall, which winter storms damaged twice this year.",
        "Members said the repairs would cost 4 million pounds, more than the budget set aside in the spring.",
        "Residents asked for a public consultation before any work begins on the seafront promenade.",
        "The council will vote on the plan at its next meeting, which is expected to take place in June."]
EDITED, CHROME, SAME = "/news/2024/05/01/harbour-wall", "/news/2024/05/01/bus-lanes", "/news/2024/05/01/library"
NOTE = "Correction: an earlier version of this article gave the cost of the repairs as 4 million pounds."


def crawl(sites: Path, root: Path) -> dict[str, Any]:
    env = {"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool"), **FAST}
    result = run_cli("crawl", "--sites", str(sites), env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    store = open_store(str(root / "archive"))
    return json.loads(store.get(max(o.key for o in store.list("runs/"))))


def records_of(root: Path, report: dict[str, Any]) -> list[dict[str, Any]]:
    store = open_store(str(root / "archive"))
    return [r for o in report["objects"] if o["key"].startswith("records/") for r in jsonl_gz(store.get(o["key"]))]


def warc_captures(root: Path, report: dict[str, Any]) -> dict[str, list[Any]]:
    """Response and revisit records of a run's WARCs by target URI: (type, WARC headers, payload length)."""
    found: dict[str, list[Any]] = {}
    for obj in report["objects"]:
        if obj["key"].endswith(".warc.gz"):
            data = (root / "archive" / obj["key"]).read_bytes()
            for record in ArchiveIterator(io.BytesIO(data)):
                if record.rec_type in ("response", "revisit"):
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    found.setdefault(uri, []).append((record.rec_type, record.rec_headers,
                                                      len(record.content_stream().read())))
    return found


def history(root: Path, *args: str) -> Any:
    return run_cli("history", *args, env={"ARCHIVE_URI": str(root / "archive")})


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("versions")
    site = VersionsSite(articles={
        EDITED: Article("Harbour wall debate", list(BODY)),
        CHROME: Article("Bus lanes on the seafront", [p.replace("harbour wall", "bus lanes") for p in BODY]),
        SAME: Article("Library to open on Sundays", [p.replace("harbour wall", "library") for p in BODY]),
    })
    with serve_versions_site(site) as base:
        sites = root / "sites.yaml"
        sites.write_text(versions_sites_yaml(base, ["1s", "1h"]))
        first = crawl(sites, root)
        time.sleep(1.5)  # the first revisit (1s after archiving) is due
        edited = site.articles[EDITED]
        edited.title = "Harbour wall repairs to cost 14 million pounds"
        edited.paragraphs[1] = edited.paragraphs[1].replace("4 million", "14 million")
        edited.paragraphs.append(NOTE)
        edited.modified += 3600
        site.articles[CHROME].chrome = "Weather: storm warning for the coast tonight"
        site.clear()
        second = crawl(sites, root)
        second_hits = list(site.hits)
        site.clear()
        third = crawl(sites, root)
        third_hits = list(site.hits)
    return {"root": root, "base": base, "first": first, "second": second, "third": third,
            "second_hits": second_hits, "third_hits": third_hits}


def test_first_crawl_writes_version_1_records(runs: dict[str, Any]) -> None:
    records = records_of(runs["root"], runs["first"])
    assert sorted(r["url"].removeprefix(runs["base"]) for r in records) == sorted([EDITED, CHROME, SAME])
    for record in records:
        validate_record(record)
        assert (record["version"], record["previous_id"], record["changed_at"], record["changes"]) == (1, None,
                                                                                                      None, None)


def test_due_revisits_are_conditional_requests(runs: dict[str, Any]) -> None:
    hits = {hit.path: hit for hit in runs["second_hits"] if hit.path.startswith("/news/")}
    assert sorted(hits) == sorted([EDITED, CHROME, SAME]), "each archived article is asked for once"
    for path, hit in hits.items():
        assert hit.headers.get("If-None-Match", "").startswith('"'), path
        assert hit.headers.get("If-Modified-Since", "").endswith(" GMT"), path
    assert hits[SAME].status == 304 and hits[EDITED].status == hits[CHROME].status == 200
    counts = runs["second"]["counts"]
    assert (counts["revisits"], counts["revisits_not_modified"], counts["revisits_unchanged"],
            counts["versions"], counts["records"]) == (3, 1, 1, 1, 1)


def test_an_edited_article_gets_version_2_with_its_changes(runs: dict[str, Any]) -> None:
    first = {r["url"]: r for r in records_of(runs["root"], runs["first"])}
    (record,) = records_of(runs["root"], runs["second"])
    validate_record(record)
    assert record["url"] == runs["base"] + EDITED
    assert record["title"] == "Harbour wall repairs to cost 14 million pounds"
    assert record["id"] == first[record["url"]]["id"], "the article's id stays; its versions count up"
    assert record["version"] == 2 and record["previous_id"] == first[record["url"]]["capture_id"]
    assert record["changed_at"] == record["fetched_at"] and record["discovery"]["via"] == "revisit"
    changes = record["changes"]
    assert changes["title_changed"] is True
    assert (changes["paragraphs_added"], changes["paragraphs_removed"], changes["paragraphs_edited"]) == (1, 0, 1)
    assert changes["notice"]["text"] == NOTE and changes["notice"]["position"] == "end"
    assert "new-short-paragraph-at-end" in changes["notice"]["signals"]


def test_chrome_only_change_is_archived_but_makes_no_version(runs: dict[str, Any]) -> None:
    captures = warc_captures(runs["root"], runs["second"])
    (chrome,) = captures[runs["base"] + CHROME]
    assert chrome[0] == "response" and chrome[2] > 0, "the changed bytes are archived in full"
    (same,) = captures[runs["base"] + SAME]
    kind, headers, length = same
    assert kind == "revisit" and headers.get_header("WARC-Profile") == REVISIT_NOT_MODIFIED and length == 0


def test_nothing_is_revisited_before_the_next_point_of_the_schedule(runs: dict[str, Any]) -> None:
    assert [hit.path for hit in runs["third_hits"] if hit.path.startswith("/news/")] == []
    assert runs["third"]["counts"]["revisits"] == 0


def test_history_lists_versions_and_prints_the_word_diff(runs: dict[str, Any]) -> None:
    url = runs["base"] + EDITED
    shown = history(runs["root"], url)
    assert shown.returncode == 0, shown.stderr
    assert "version 1" in shown.stdout and "version 2" in shown.stdout
    assert "{+14+}" in shown.stdout and "[-4-]" in shown.stdout and "{+" + NOTE + "+}" in shown.stdout
    data = json.loads(history(runs["root"], url, "--json").stdout)
    assert [v["version"] for v in data["versions"]] == [1, 2]
    assert data["diff"]["from_version"] == 1 and data["diff"]["to_version"] == 2
    assert {"op": "insert", "text": NOTE} in data["diff"]["paragraphs"]
    as_copied = history(runs["root"], url.replace("http://", "HTTP://") + "?utm_source=feed#comments", "--json")
    assert {**json.loads(as_copied.stdout), "url": url} == data, "a browser's form of the URL names the same article"
    only_one = json.loads(history(runs["root"], runs["base"] + CHROME, "--json").stdout)
    assert [v["version"] for v in only_one["versions"]] == [1] and only_one["diff"] is None


def test_show_says_which_version_the_latest_record_is(runs: dict[str, Any]) -> None:
    shown = run_cli("show", runs["base"] + EDITED, env={"ARCHIVE_URI": str(runs["root"] / "archive")})
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Harbour wall repairs to cost 14 million pounds\n")
    assert "version:    2, changed " in shown.stdout


def test_history_errors_are_one_line_with_exit_codes(runs: dict[str, Any]) -> None:
    missing = history(runs["root"], runs["base"] + "/news/none")
    assert missing.returncode == 4 and len(missing.stderr.strip().splitlines()) == 1
    no_version = history(runs["root"], runs["base"] + EDITED, "--to-version", "7")
    assert no_version.returncode == 4 and "version 7" in no_version.stderr and "Traceback" not in no_version.stderr
    bad = history(runs["root"], runs["base"] + EDITED, "--from-version", "0")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_reextract_keeps_each_record_s_version(runs: dict[str, Any]) -> None:
    """Last: it adds records to the archive. A rebuilt version 2 stays version 2, pointing at version 1."""
    result = run_cli("reextract", env={"ARCHIVE_URI": str(runs["root"] / "archive"),
                                       "NEWSARCHIVE_SPOOL": str(runs["root"] / "spool"), **FAST})
    assert result.returncode == 0, result.stderr[-3000:]
    store = open_store(str(runs["root"] / "archive"))
    rebuilt = [r for o in store.list("records/") if REEXTRACT_MARK in o.key for r in jsonl_gz(store.get(o.key))]
    (original,) = records_of(runs["root"], runs["second"])
    again = [r for r in rebuilt if r["url"] == original["url"] and r["version"] == 2]
    assert again, "the version 2 record is rebuilt as version 2"
    for record in again:
        validate_record(record)
        assert (record["previous_id"], record["changed_at"], record["changes"]) == (
            original["previous_id"], original["changed_at"], original["changes"])
