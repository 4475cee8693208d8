"""Several real `newsarchive crawl` processes sharing one real redis-server form one crawl of a local site.

What the site's request log shows: every article fetched once across the workers; a worker killed with kill -9
has its leased requests fetched by the others; requests to the site never closer together than its delay,
whichever worker sent them. The workers end by themselves and one merged run report lands in runs/.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from tests.crash_checks import (
    Crawl,
    archive_problems,
    archive_records,
    record_paths,
    spool_records,
    start_crawl,
    wait_for,
)
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml
from tests.redis_server import redis_server

ARTICLES = days(date(2024, 3, 1), 16)
# Short leases and idle timeout keep the tests quick; plain progress, no adaptive delay.
SHARED = {"NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
          "NEWSARCHIVE_DISTRIBUTED_LEASE_TIMEOUT": "3", "NEWSARCHIVE_DISTRIBUTED_IDLE_TIMEOUT": "1",
          "NEWSARCHIVE_EXTRACT_WORKERS": "0"}


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


def start_workers(count: int, sites: Path, root: Path, env: dict[str, str]) -> list[Crawl]:
    """`count` crawls of one sites file into root/archive, each with a spool of its own."""
    return [start_crawl(sites, root, {**SHARED, **env, "NEWSARCHIVE_SPOOL": str(root / f"spool-{n}")},
                        name=f"worker-{n}") for n in range(count)]


def wait_all(workers: list[Crawl], timeout: float = 120) -> list[int | None]:
    deadline = time.monotonic() + timeout
    return [worker.wait(max(0.1, deadline - time.monotonic())) for worker in workers]

def run_workers(count: int, sites: Path, root: Path, env: dict[str, str]) -> tuple[list[int | None], list[Crawl]]:
    """`count` workers started and waited for (their exit codes), cleaned up whatever happens."""
    workers = start_workers(count, sites, root, env)
    try:
        return wait_all(workers), workers
    finally:
        for worker in workers:
            worker.clean_up()



def run_reports(archive: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((archive / "runs").glob("*.json"))]


def article_fetches(site: FixtureSite) -> Counter[str]:
    return Counter(site.paths("/news/"))


def test_three_workers_fetch_each_article_once_and_end_with_one_merged_report(tmp_path: Path, redis_url: str) -> None:
    # Articles that take a moment to answer, as real ones do, and two requests in hand per worker: on a loaded
    # machine the first worker up would otherwise lease the whole small site (CONCURRENT_REQUESTS ahead) before
    # the others have started, and nothing would be shared. Alone it now needs 8 s for the 16 articles.
    site = FixtureSite(articles=list(ARTICLES), article_delay=1.0)
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        codes, workers = run_workers(3, sites, tmp_path, {"REDIS_URL": redis_url,
                                                          "NEWSARCHIVE_CONCURRENT_REQUESTS": "2"})
    logs = "\n".join(worker.output()[-3000:] for worker in workers)
    assert codes == [0, 0, 0], logs
    fetched = article_fetches(site)
    assert set(fetched) == {site.article_path(day) for day in ARTICLES}, "every article fetched"
    assert max(fetched.values()) == 1, f"fetched twice: {[p for p, n in fetched.items() if n > 1]}"
    pages = Counter(site.paths())
    assert max(pages.values()) == 1, f"fetched twice: {[p for p, n in pages.items() if n > 1]}"
    assert pages["/robots.txt"] == 1, "robots.txt fetched by one worker, read by the others"
    records = archive_records(tmp_path / "archive")
    assert sorted(r["url"].split("/", 3)[3] for r in records) == sorted(site.article_path(d)[1:] for d in ARTICLES)
    assert archive_problems(tmp_path / "archive") == []
    reports = run_reports(tmp_path / "archive")
    assert len(reports) == 1, "one merged report"
    report = reports[0]
    assert len(report["workers"]) == 3 and report["lost_workers"] == []
    assert report["counts"]["records"] == len(ARTICLES)
    assert report["per_site"]["gazette"]["records"] == len(ARTICLES)
    assert sum(w["counts"]["records"] for w in report["workers"].values()) == len(ARTICLES)
    stored = {p.relative_to(tmp_path / "archive").as_posix() for p in (tmp_path / "archive").rglob("*") if p.is_file()}
    assert {o["key"] for o in report["objects"]} <= stored
    assert sum(1 for w in report["workers"].values() if w["counts"]["responses"]) >= 2, "the work was shared"


def leases_by_pid(redis_url: str) -> dict[int, list[str]]:
    """The paths of the requests each worker process holds a lease on."""
    import pickle

    import redis

    client = redis.Redis.from_url(redis_url)
    held: dict[int, list[str]] = {}
    for key in client.scan_iter(match="newsarchive:*:leases:*"):
        pid = int(key.decode().rsplit(":", 1)[1].split("-")[-2])
        for entry in client.hvals(key):
            request = pickle.loads(entry.split(b"\n", 1)[1])
            held.setdefault(pid, []).append("/" + request["url"].split("/", 3)[3])
    return held


def test_a_worker_killed_mid_run_has_its_requests_finished_by_the_others(tmp_path: Path, redis_url: str) -> None:
    site = FixtureSite(articles=list(ARTICLES), article_delay=0.4)
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        workers = start_workers(3, sites, tmp_path, {"REDIS_URL": redis_url})
        try:
            by_pid = {worker.pid: worker for worker in workers}
            holding: dict[int, list[str]] = {}

            def someone_holds_articles() -> bool:
                holding.update(leases_by_pid(redis_url))
                return any(any(p.startswith("/news/") for p in paths) for paths in holding.values())

            wait_for(someone_holds_articles, what="a worker holding article leases")
            victim_pid, taken = next((pid, paths) for pid, paths in holding.items()
                                     if any(p.startswith("/news/") for p in paths))
            victim = by_pid[victim_pid]
            killed_at = time.monotonic()
            victim.kill()
            survivors = [worker for worker in workers if worker is not victim]
            codes = wait_all(survivors)
            logs = "\n".join(worker.output()[-3000:] for worker in survivors)
            assert codes == [0, 0], logs
            reports = run_reports(tmp_path / "archive")
            assert len(reports) == 1 and len(reports[0]["lost_workers"]) == 1, "the run ended, the victim lost"
            after_kill = {hit.path for hit in site.hits if hit.at > killed_at}
            leased = [path for path in taken if path.startswith("/news/")]
            assert any(path in after_kill for path in leased), "the others fetched what the victim had leased"
            # A leased article the others did not fetch is one whose record the victim wrote before it died
            # (the seen-store keeps the others from fetching it again): it waits in the victim's spool.
            victim_spool = tmp_path / f"spool-{workers.index(victim)}"
            written = record_paths(spool_records(victim_spool))
            assert all(path in after_kill or path in written for path in leased)
            restarted = start_crawl(sites, tmp_path, {**SHARED, "REDIS_URL": redis_url,
                                                      "NEWSARCHIVE_SPOOL": str(victim_spool)}, name="restarted")
            try:
                assert restarted.wait(120) == 0, restarted.output()[-3000:]
            finally:
                restarted.clean_up()
        finally:
            for worker in workers:
                worker.clean_up()
    records = archive_records(tmp_path / "archive")
    urls = Counter(r["url"].split("/", 3)[3] for r in records)
    assert set(urls) == {site.article_path(d)[1:] for d in ARTICLES}, "nothing lost"
    assert max(urls.values()) == 1, "no article recorded twice"
    assert archive_problems(tmp_path / "archive") == []


DELAY = 0.3


@pytest.mark.parametrize("asked_by", ["sites file", "robots.txt"])
def test_requests_to_a_site_keep_its_delay_across_workers(tmp_path: Path, redis_url: str, asked_by: str) -> None:
    site = FixtureSite(articles=days(date(2024, 5, 1), 8), crawl_delay=DELAY if asked_by == "robots.txt" else None)
    with serve_fixture_site(site) as base:
        entry = yaml.safe_load(sites_yaml(base))
        entry["sites"][0]["delay"] = DELAY if asked_by == "sites file" else 0
        sites = tmp_path / "sites.yaml"
        sites.write_text(yaml.safe_dump(entry))
        workers = start_workers(3, sites, tmp_path, {"REDIS_URL": redis_url})
        try:
            live: list[dict] = []

            def three_workers_live() -> bool:
                result = run_cli("status", "--json", env={"ARCHIVE_URI": str(tmp_path / "archive"),
                                                          "REDIS_URL": redis_url})
                live[:] = json.loads(result.stdout)["live"]
                return bool(live) and sum(w["state"] == "alive" for w in live[0]["workers"].values()) == 3 \
                    and live[0]["queue"] + live[0]["leases"] > 0
            wait_for(three_workers_live, what="status showing three live workers and work queued or leased")
            table = run_cli("status", env={"ARCHIVE_URI": str(tmp_path / "archive"), "REDIS_URL": redis_url})
            assert "Shared crawls running" in table.stdout and table.stdout.count(" alive ") >= 3, table.stdout
            codes = wait_all(workers)
        finally:
            for worker in workers:
                worker.clean_up()
    assert codes == [0, 0, 0], "\n".join(worker.output()[-3000:] for worker in workers)
    ended = run_cli("status", "--json", env={"ARCHIVE_URI": str(tmp_path / "archive"), "REDIS_URL": redis_url})
    assert json.loads(ended.stdout)["live"] == [], "the run's keys are gone once it ended"
    hits = sorted(site.hits, key=lambda hit: hit.at)
    close = [(a.path, b.path, round(b.at - a.at, 3)) for a, b in pairwise(hits) if b.at - a.at < DELAY]
    arrivals = [hit.at for hit in hits]
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert len(arrivals) > 15
    # A host's next turn starts when the previous response's headers came, so the server sees the delay between
    # two arrivals however late a loaded worker sends after its turn.
    assert min(gaps) >= DELAY, f"smallest gap {min(gaps):.3f} s of {len(gaps)}: {close}"
    print(f"{len(arrivals)} requests, smallest gap {min(gaps):.3f} s, mean {sum(gaps) / len(gaps):.3f} s")


def test_retry_after_holds_a_site_without_a_delay_for_every_worker(tmp_path: Path, redis_url: str) -> None:
    site = FixtureSite(articles=list(ARTICLES), article_delay=0.3)
    flaky = site.article_path(ARTICLES[2])
    site.retry_after[flaky] = 3
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))  # delay: 0, so only Retry-After paces the site
        codes, workers = run_workers(3, sites, tmp_path, {"REDIS_URL": redis_url})
    assert codes == [0, 0, 0], "\n".join(worker.output()[-3000:] for worker in workers)
    throttled, retried = [hit for hit in site.hits if hit.path == flaky]
    # The retry goes back to the shared frontier, so any worker may send it: each waits out the hold. (Requests
    # that were past the gate before the 429 came, waiting in a worker's download slot, still go: docs/distributed.md.)
    assert throttled.status == 429 and retried.at - throttled.at >= 3.0, "Retry-After: 3 not honoured"


def test_a_site_one_worker_finds_blocking_is_dropped_by_all(tmp_path: Path, redis_url: str) -> None:
    site = FixtureSite(articles=list(ARTICLES), captcha=True)  # sections fine, articles walled off
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        codes, workers = run_workers(3, sites, tmp_path, {"REDIS_URL": redis_url, "NEWSARCHIVE_BAN_THRESHOLD": "3",
                                                          "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    logs = "\n".join(worker.output()[-3000:] for worker in workers)
    assert set(codes) <= {0, 5} and 5 in codes, logs
    walled = site.paths("/news/")
    assert len(walled) <= 3 + 2, f"the ban threshold plus one request in flight per other worker: {walled}"
    (report,) = run_reports(tmp_path / "archive")
    assert report["per_site"]["gazette"]["blocked"] is True


def test_the_monitors_judge_the_merged_report_and_alert_once(tmp_path: Path, redis_url: str) -> None:
    from http.server import ThreadingHTTPServer

    from tests.serving import serving
    from tests.test_monitors import THRESHOLDS, Recorder, seed_history

    seed_history(tmp_path / "archive", [len(ARTICLES)] * 3)  # a worker's share of the run is not "few articles"
    Recorder.posts = []
    site = FixtureSite(articles=list(ARTICLES), article_delay=0.5)
    with serve_fixture_site(site) as base, serving(ThreadingHTTPServer(("127.0.0.1", 0), Recorder)) as hook:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        codes, workers = run_workers(3, sites, tmp_path, {
            "REDIS_URL": redis_url, "NEWSARCHIVE_MONITOR_MIN_COVERAGE": json.dumps(THRESHOLDS),
            "NEWSARCHIVE_ALERT_WEBHOOK": f"http://127.0.0.1:{hook.server_address[1]}/hook"})
    assert codes == [0, 0, 0], "\n".join(worker.output()[-3000:] for worker in workers)
    report = next(r for r in run_reports(tmp_path / "archive") if "workers" in r)
    failures = report["monitors"]["failures"]
    assert [failure["monitor"] for failure in failures] == ["coverage/fields"], "the fixture has no bylines"
    assert f"authors on 0% of {len(ARTICLES)} records" in failures[0]["message"], "judged over the whole run"
    (post,) = Recorder.posts
    assert post["body"]["crawl_id"] == report["crawl_id"] and post["body"]["failures"] == failures
    assert post["body"]["report"].endswith(f"runs/{report['crawl_id']}.json")


def start_import(root: Path, n: int, sources: list[str], redis_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ARCHIVE_URI": str(root / "archive"), "NEWSARCHIVE_SPOOL": str(root / f"import-spool-{n}"),
           "REDIS_URL": redis_url, "NEWSARCHIVE_DISTRIBUTED_LEASE_TIMEOUT": "3"}
    return subprocess.Popen([sys.executable, "-m", "crawler", "import", *sources], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_import_workers_split_the_files_and_finish_a_killed_ones(tmp_path: Path, redis_url: str) -> None:
    demo = run_cli("demo", env={"ARCHIVE_URI": str(tmp_path / "demo"), "NEWSARCHIVE_SPOOL": str(tmp_path / "ds")})
    assert demo.returncode == 0, demo.stderr[-3000:]
    (warc,) = (tmp_path / "demo").rglob("*.warc.gz")
    data = warc.read_bytes() * 2  # a few seconds per file, so the kill lands inside one
    sources = []
    for serial in range(6):
        path = tmp_path / f"CC-NEWS-20240501000000-0000{serial}.warc.gz"
        path.write_bytes(data)
        sources.append(str(path))
    workers = [start_import(tmp_path, n, sources, redis_url) for n in range(3)]
    try:
        archive = tmp_path / "archive"
        wait_for(lambda: len(list(archive.rglob("*.jsonl.gz"))) >= 1, timeout=180, what="a first file imported")
        victim = workers[0]
        victim.kill()
        victim.wait()
        assert [worker.wait(timeout=300) for worker in workers[1:]] == [0, 0]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    imported = Counter(source["source"] for report in run_reports(archive) for source in report["sources"]
                       if source["status"] == "imported")
    files = list(archive.rglob("*.jsonl.gz"))
    assert len(files) == len(sources), "every source imported, the killed worker's too"
    assert set(imported) <= set(sources) and max(imported.values()) == 1, "no source imported twice by the survivors"
    assert len(imported) >= len(sources) - 1, "at most the one the victim finished is not in a survivor's report"
    assert len({report["crawl_id"] for report in run_reports(archive)}) == 2, "the survivors' reports"


def test_a_copy_of_a_text_another_worker_recorded_links_to_it(redis_url: str) -> None:
    import hashlib

    import redis

    from pipelines.records.simhash import simhash_hex
    from pipelines.state.texts import SharedDuplicateIndex
    from tests.test_dedup import article

    def record(record_id: str, text: str) -> dict:
        return {"id": record_id, "word_count": len(text.split()), "simhash": simhash_hex(text),
                "text_sha1": hashlib.sha1(text.encode()).hexdigest(), "duplicate_of": None}

    text = article(7)
    one, two = (SharedDuplicateIndex(redis.Redis.from_url(redis_url), "newsarchive:test:run:x:texts:")
                for _ in range(2))
    assert one.link(record("a", text))["duplicate_of"] is None
    assert two.link(record("b", text))["duplicate_of"] == "a", "the same text, recorded by the other worker"
    edited = text.replace(text.split()[3], "harbour", 1) + " Additional reporting by Reuters."
    assert two.link(record("c", edited))["duplicate_of"] == "a", "a near copy"
    assert two.link(record("d", article(8)))["duplicate_of"] is None, "another text"
    assert [r for _, _, r in two.added] == ["d"], "only its own originals go into its state file"


def test_redis_down_at_start_is_one_line_and_exit_6(tmp_path: Path) -> None:
    from tests.redis_server import free_port

    sites = tmp_path / "sites.yaml"
    sites.write_text(sites_yaml("http://127.0.0.1:9"))
    result = run_cli("crawl", "--sites", str(sites), env={"ARCHIVE_URI": str(tmp_path / "archive"),
                                                          "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
                                                          "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    assert result.returncode == 6, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "REDIS_URL" in lines[0] and "Traceback" not in result.stderr, result.stderr


def test_a_worker_stopped_with_ctrl_c_hands_its_requests_back(tmp_path: Path, redis_url: str) -> None:
    site = FixtureSite(articles=list(ARTICLES), article_delay=0.4)
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        workers = start_workers(2, sites, tmp_path, {"REDIS_URL": redis_url})
        try:
            by_pid = {worker.pid: worker for worker in workers}
            holding: dict[int, list[str]] = {}

            def someone_holds_articles() -> bool:
                holding.clear()
                holding.update(leases_by_pid(redis_url))
                return any(any(p.startswith("/news/") for p in paths) for paths in holding.values())

            wait_for(someone_holds_articles, what="a worker holding article leases")
            stopped = by_pid[next(pid for pid, paths in holding.items() if any(p.startswith("/news/") for p in paths))]
            stopped.signal_group(signal.SIGINT)
            assert stopped.wait(30) == 130, stopped.output()[-3000:]
            other = next(worker for worker in workers if worker is not stopped)
            assert other.wait(120) == 0, other.output()[-3000:]
        finally:
            for worker in workers:
                worker.clean_up()
    recorded = {r["url"].split("/", 3)[3] for r in archive_records(tmp_path / "archive")}
    waiting = {r["url"].split("/", 3)[3] for n in range(2) for r in spool_records(tmp_path / f"spool-{n}")}
    assert recorded | waiting == {site.article_path(d)[1:] for d in ARTICLES}, "every article archived or in a spool"
    (report,) = run_reports(tmp_path / "archive")
    assert sorted(w["exit_reason"] for w in report["workers"].values()) == ["finished", "shutdown"]


def test_a_worker_goes_on_through_a_short_redis_outage(tmp_path: Path) -> None:
    """Redis restarted while a worker waits for a slow article (its data kept, as a deployment's append-only file
    does): every Redis command of the worker is retried through the outage, its live progress goes on once Redis
    is back, and the run ends as usual with every article recorded and no error."""
    from datetime import UTC, datetime

    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path, persistent=True)
    server.start()
    site = FixtureSite(articles=days(date(2024, 5, 1), 3))
    site.hold = site.article_path(site.articles[-1])
    try:
        with serve_fixture_site(site) as base:
            sites = tmp_path / "sites.yaml"
            sites.write_text(sites_yaml(base))
            worker = start_crawl(sites, tmp_path, {**SHARED, "REDIS_URL": server.url, "NEWSARCHIVE_LOG_FORMAT": "json",
                                                   "NEWSARCHIVE_PROGRESS_INTERVAL": "0.2",
                                                   "NEWSARCHIVE_LOG_LEVEL": "DEBUG",
                                                   "NEWSARCHIVE_DISTRIBUTED_LEASE_TIMEOUT": "30"})
            try:
                assert site.held.wait(120), worker.output()[-3000:]
                server.stop()
                time.sleep(1.5)  # several progress ticks while Redis is away
                server.start()
                back = datetime.now(UTC)
                time.sleep(1.5)
                site.released.set()
                code = worker.wait(60)
            finally:
                site.released.set()
                worker.clean_up()
    finally:
        server.stop()
    lines = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    assert code == 0, worker.output()[-3000:]
    progress = [line for line in lines if line["event"] == "progress"
                and datetime.fromisoformat(line["time"].replace("Z", "+00:00")) > back]
    assert len(progress) >= 3, "the progress line goes on once Redis is back"
    records = archive_records(tmp_path / "archive")
    assert sorted(r["url"] for r in records) == sorted(base + site.article_path(d) for d in site.articles)
    assert len(run_reports(tmp_path / "archive")) == 1
    errors = [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
    assert errors == [], "the outage is ridden out, not a failed item or a lost link"
