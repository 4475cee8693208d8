"""`newsarchive status`: run reports in a real (local) archive → run table, site health, drop flags."""

import json
from pathlib import Path
from typing import Any

from pipelines.run.health import site_flags
from pipelines.store.factory import open_store
from tests.conftest import run_cli


def site(records: int, published: float | None = 0.9, authors: float | None = 0.8, articles: int | None = None,
         **extra: Any) -> dict[str, Any]:
    articles = records if articles is None else articles
    return {"discovered": articles * 2, "fetched": articles + 5, "articles": articles, "records": records,
            "revisits": 0, "errors": 0, "blocked": False,
            "coverage": {"published_at": published, "authors": authors, "text": 1.0 if records else None}, **extra}


def report(crawl_id: str, per_site: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    body = {"crawl_id": crawl_id, "started_at": f"{crawl_id[:4]}-{crawl_id[4:6]}-{crawl_id[6:8]}T01:00:00Z",
            "finished_at": f"{crawl_id[:4]}-{crawl_id[4:6]}-{crawl_id[6:8]}T01:02:05Z", "exit_reason": "finished",
            "counts": {"responses": 100, "articles": 20, "records": 20, "errors": 1}, "failed_uploads": [], **extra}
    if per_site is not None:
        body["per_site"] = per_site
    return body


def test_flags_against_the_median_of_earlier_runs() -> None:
    history = [site(10), site(12), site(100, published=0.1)]  # one odd run moves neither median far
    assert site_flags(site(9), history) == []
    assert site_flags(site(5, articles=20), history) == ["records 5 of 20 new article pages (usual 100%)"]
    assert site_flags(site(5, articles=20), []) == ["records 5 of 20 new article pages (usual 100%)"]
    assert site_flags(site(12, published=0.6), history) == ["published_at 60% (median 90%)"]
    assert site_flags(site(12, authors=0.55), history) == ["authors 55% (median 80%)"]
    assert site_flags(site(12, published=None), history) == []
    assert site_flags(site(1), []) == []  # no history, nothing to compare with
    # An incremental run that found nothing new archived nothing, rightly: fewer records is not a drop.
    assert site_flags(site(0, published=None, authors=None), history) == []
    assert site_flags(site(2), history) == []
    assert site_flags(site(10, blocked=True), history) == ["blocked"]


def write_reports(archive: Path, reports: list[dict[str, Any]]) -> None:
    store = open_store(str(archive))
    for body in reports:
        store.put_bytes(f"runs/{body['crawl_id']}.json", json.dumps(body).encode())


def test_status_on_an_archive(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    write_reports(archive, [
        report("20240501T010000Z-aaaaaaaa", None),  # an old report without per_site
        *(report(f"2024050{day}T010000Z-bbbbbbb{day}", {"herald": site(40), "gazette": site(30)}) for day in (2, 3, 4)),
        report("20240505T010000Z-cccccccc", {"herald": site(10, articles=40), "gazette": site(31, authors=0.3)},
               failed_uploads=[{"key": "x", "error": "y"}]),
        report("20240506T010000Z-dddddddd", {"herald": site(1)}, command="import"),  # imports compare with imports
    ])
    store = open_store(str(archive))
    store.put_bytes("runs/20240507T000000Z-broken00.json", b"{not json")

    result = run_cli("status", "--archive", str(archive))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("20240506T010000Z-dddddddd") < out.index("20240505T010000Z-cccccccc")  # newest first
    assert "20240501T010000Z-aaaaaaaa" in out and "2m05s" in out
    assert "2xx/3xx/4xx/5xx" in out and "network failures" in out
    assert "skipping runs/20240507T000000Z-broken00.json" in result.stderr
    assert "2 site(s) flagged: gazette, herald" in out
    assert "authors 30% (median 80%)" in out and "records 10 of 40 new article pages (usual 100%)" in out

    result = run_cli("status", "--archive", str(archive), "--runs", "3", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert [run["crawl_id"] for run in status["runs"]] == [
        "20240506T010000Z-dddddddd", "20240505T010000Z-cccccccc", "20240504T010000Z-bbbbbbb4"]
    assert status["runs"][1]["upload_failures"] == 1 and status["runs"][1]["duration_s"] == 125
    sites = {(s["site"], s["command"]): s for s in status["sites"]}
    assert sites["herald", "import"]["flags"] == []  # compared with imports only: none before it
    assert sites["herald", "crawl"]["flags"] == ["records 10 of 40 new article pages (usual 100%)"]
    assert sites["gazette", "crawl"]["flags"] == ["authors 30% (median 80%)"]


def test_status_of_an_empty_archive(tmp_path: Path) -> None:
    result = run_cli("status", "--archive", str(tmp_path / "none"))
    assert result.returncode == 0 and "no run reports" in result.stdout
