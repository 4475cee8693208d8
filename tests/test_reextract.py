"""`newsarchive reextract`: new records from the archive's own WARCs beside the old ones, never over them."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipelines.extract import EXTRACTOR_VERSION
from pipelines.layout import current_records_keys, newest_records_key, reextract_key
from pipelines.records.build import validate_record
from pipelines.store.factory import open_store
from tests.archive_checks import jsonl_gz
from tests.conftest import run_cli
from tests.s3_server import create_bucket, moto_s3_server


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("reextract")
    env = {"ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / "spool")}
    result = run_cli("demo", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    store = open_store(env["ARCHIVE_URI"])
    (crawl_key,) = [o.key for o in store.list("records/")]
    return {"env": env, "store": store, "crawl_key": crawl_key, "crawl_bytes": store.get(crawl_key)}


def reextract(archive: dict[str, Any], *args: str) -> tuple[Any, dict[str, Any]]:
    """Run `newsarchive reextract ARGS` → (process, its run report)."""
    store = archive["store"]
    before = {o.key for o in store.list("runs/")}
    result = run_cli("reextract", *args, env=archive["env"])
    assert result.returncode == 0, result.stderr[-3000:]
    (key,) = {o.key for o in store.list("runs/")} - before
    return result, json.loads(store.get(key))


def test_new_records_beside_the_crawls(archive: dict[str, Any]) -> None:
    store = archive["store"]
    _, report = reextract(archive)
    assert report["command"] == "reextract" and report["extractor_version"] == EXTRACTOR_VERSION
    (line,) = report["sources"]
    assert line["status"] == "rebuilt" and line["missing"] == 0 and line["from"] == archive["crawl_key"]
    assert line["records_key"] == reextract_key(archive["crawl_key"], report["crawl_id"], EXTRACTOR_VERSION)
    assert store.get(archive["crawl_key"]) == archive["crawl_bytes"]  # old records stay as they were
    old = {r["url"]: r for r in jsonl_gz(archive["crawl_bytes"])}
    new = {r["url"]: r for r in jsonl_gz(store.get(line["records_key"]))}
    assert new.keys() == old.keys()
    for url, record in new.items():
        validate_record(record)
        kept = ("site", "discovery", "requested_url", "warc", "capture_id", "fetched_at", "article_signals")
        assert {k: record[k] for k in kept} == {k: old[url][k] for k in kept}
        assert record["crawl_id"] == report["crawl_id"] and record["extractor"]["version"] == EXTRACTOR_VERSION
    assert report["counts"]["records"] == len(new) and report["per_site"]["demo-news"]["records"] == len(new)
    keys = [o.key for o in store.list("records/")]
    assert newest_records_key(keys) == line["records_key"]


def test_show_returns_the_reextracted_record(archive: dict[str, Any]) -> None:
    _, report = reextract(archive, "--force")
    url = jsonl_gz(archive["crawl_bytes"])[0]["url"]
    shown = run_cli("show", url, "--json", env=archive["env"])
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert json.loads(shown.stdout)["record"]["crawl_id"] == report["crawl_id"]


def test_done_once_per_version_unless_forced(archive: dict[str, Any]) -> None:
    reextract(archive)
    _, report = reextract(archive)
    assert report["sources"][0]["status"] == "skipped" and report["objects"] == []
    _, forced = reextract(archive, "--force")
    assert forced["sources"][0]["status"] == "rebuilt"
    keys = [o.key for o in archive["store"].list("records/")]
    assert newest_records_key(keys) == forced["sources"][0]["records_key"]


def test_site_and_day_select_warcs(archive: dict[str, Any], tmp_path: Path) -> None:
    """A site the archive knows (an import of a copy of the crawl's WARC recorded it) but this WARC has no records
    of: the WARC is skipped. A window without WARCs: nothing to do."""
    copy = tmp_path / "archive"
    shutil.copytree(archive["env"]["ARCHIVE_URI"], copy)
    env = {"ARCHIVE_URI": str(copy), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool")}
    (warc,) = copy.rglob("*.warc.gz")
    shutil.copyfile(warc, tmp_path / "elsewhere.warc.gz")
    imported = run_cli("import", str(tmp_path / "elsewhere.warc.gz"), "--site", "elsewhere", env=env)
    assert imported.returncode == 0, imported.stderr[-3000:]
    _, report = reextract({"env": env, "store": open_store(str(copy))}, "--site", "elsewhere", "--force")
    assert report["sources"][0]["status"] == "skipped" and "elsewhere" in report["sources"][0]["reason"]
    _, report = reextract(archive, "--from", "2999-01-01", "--force")
    assert report["sources"] == []


def test_an_unknown_site_is_one_line_exit_2_and_no_run(archive: dict[str, Any]) -> None:
    """A misspelt --site is known from the run reports (they list their sites) before anything starts."""
    store = archive["store"]
    before = {o.key for o in store.list("runs/")}
    result = run_cli("reextract", "--site", "demo-nwes", env=archive["env"])
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"newsarchive: --site 'demo-nwes': no run report in {archive['env']['ARCHIVE_URI']} "
                             "names that site (did you mean 'demo-news'?); its runs archived: demo-news\n")
    assert {o.key for o in store.list("runs/")} == before


def test_newest_records_key_orders_by_run_time() -> None:
    crawl = "records/dt=2024-05-01/NEWSARCHIVE-20240501000000-00000-h.jsonl.gz"
    older = reextract_key(crawl, "20240601T000000Z-aaaaaaaa", "0.10.0")
    newer = reextract_key(crawl, "20240701T000000Z-bbbbbbbb", "0.9.0")
    assert older == crawl.replace(".jsonl.gz", ".re-20240601T000000Z-aaaaaaaa-x0.10.0.jsonl.gz")
    assert newest_records_key([crawl, newer, older]) == newer
    assert newest_records_key([crawl]) == crawl
    assert newest_records_key([]) is None
    other = "records/dt=2024-05-01/NEWSARCHIVE-20240501000000-00001-h.jsonl.gz"
    assert current_records_keys([crawl, older, other, newer]) == [newer, other]


def test_reextract_an_s3_archive(tmp_path: Path) -> None:
    with moto_s3_server() as endpoint:
        env = {"ARCHIVE_URI": f"s3://{create_bucket(endpoint)}/news", "NEWSARCHIVE_SPOOL": str(tmp_path / "spool")}
        crawl = run_cli("demo", env=env)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        result = run_cli("reextract", env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        store = open_store(env["ARCHIVE_URI"])
        keys = [o.key for o in store.list("records/")]
        (crawl_key,) = [key for key in keys if ".re-" not in key]
        newest = newest_records_key(keys)
        old, new = jsonl_gz(store.get(crawl_key)), jsonl_gz(store.get(newest))
    assert newest != crawl_key and len(keys) == 2
    assert sorted(r["url"] for r in new) == sorted(r["url"] for r in old) and new
