"""deploy/compose.yaml brought up with podman-compose: Redis, an S3 server, the bucket, a scheduled crawler.

These machines cannot pull images and have no container networking, so deploy/compose.sandbox.yaml is layered
on top: host networking, free ports, and local stand-ins for the Redis and S3 images (one image built from the
sandbox's base, tests/containers/standins.Containerfile). The crawler is the project's image, built once per
session (tests/conftest.py) and shared with tests/test_container.py. The crawler replica crawls the demo site
(served by this process) into the S3 archive at start and again at the next tick of CRAWL_EVERY: the
scheduled trigger. One replica: replicas share REDIS_URL, but a shared frontier is the distributed crawl's
(README "Scaling out"), not this file's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.demo.server import demo_sites_yaml
from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents
from tests.podman import ROOT, Podman, tail
from tests.redis_server import free_port

pytestmark = [pytest.mark.container, pytest.mark.timeout(1800)]  # the image build counts in the first test

STANDIN_IMAGE = "localhost/newsarchive-standins:test"
COMPOSE_FILES = [ROOT / "deploy" / "compose.yaml", ROOT / "deploy" / "compose.sandbox.yaml"]
# What `newsarchive demo` sets for the demo site too: a local site needs no AutoThrottle, which would start at
# 1 s per request and make each of the ~600-page runs last minutes.
FAST_LOCAL_SITE = """\
services:
  crawler:
    environment:
      NEWSARCHIVE_AUTOTHROTTLE_ENABLED: "false"
      NEWSARCHIVE_DOWNLOAD_DELAY: "0"
"""
CRAWL_EVERY = 30  # seconds between scheduled runs: short, so the test sees the trigger fire a second time
RUNS_TIMEOUT = 300
CREDENTIALS = {"S3_ACCESS_KEY": "testing", "S3_SECRET_KEY": "testing-secret"}


class Compose:
    """podman-compose on the project's compose files, in a project of its own (unique name)."""

    def __init__(self, podman: Podman, env: dict[str, str], extra_file: Path) -> None:
        binary = shutil.which("podman-compose", path=str(Path(sys.executable).parent)) or shutil.which(
            "podman-compose")
        if binary is None:
            pytest.fail("podman-compose is not installed: pip install -e '.[test]' (it is a test extra)")
        self.command = [binary, "--project-name", f"natest-{uuid.uuid4().hex[:8]}"]
        if podman.global_args:
            self.command += ["--podman-args", " ".join(podman.global_args)]
        for path in [*COMPOSE_FILES, extra_file]:
            self.command += ["--file", str(path)]
        self.env = {**podman.env, **env}

    def __call__(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run([*self.command, *args], env=self.env, capture_output=True, text=True,
                                  timeout=timeout, cwd=ROOT / "deploy")
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"podman-compose {' '.join(args)} did not finish within {timeout} s:\n"
                        f"{tail(exc.stdout, exc.stderr)}")


@pytest.fixture(scope="module")
def standin_image(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> str:
    context = tmp_path_factory.mktemp("standins")
    shutil.copy(ROOT / "constraints.txt", context / "constraints.txt")
    podman.build(context, STANDIN_IMAGE, "--file", str(ROOT / "tests" / "containers" / "standins.Containerfile"))
    return STANDIN_IMAGE


@pytest.fixture(scope="module")
def deployment(podman: Podman, project_image: str, standin_image: str, demo_site: str,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The compose project, up until two scheduled runs have written their run reports; then taken down."""
    tmp = tmp_path_factory.mktemp("compose")
    sites = tmp / "sites.yaml"
    sites.write_text(demo_sites_yaml(demo_site), encoding="utf-8")
    sites.chmod(0o644)
    s3_port, redis_port = free_port(), free_port()
    bucket = f"compose-{uuid.uuid4().hex[:8]}"
    env = {"NEWSARCHIVE_IMAGE": project_image, "STANDIN_IMAGE": standin_image, "SITES_FILE": str(sites),
           "S3_PORT": str(s3_port), "REDIS_PORT": str(redis_port), "BUCKET": bucket, "CRAWL_EVERY": str(CRAWL_EVERY),
           "CRAWLER_REPLICAS": "1", "RETRY_UNAVAILABLE_AFTER": "2", **CREDENTIALS}
    extra = tmp / "compose.test.yaml"
    extra.write_text(FAST_LOCAL_SITE, encoding="utf-8")
    compose = Compose(podman, env, extra)
    s3_env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}", "AWS_ACCESS_KEY_ID": CREDENTIALS["S3_ACCESS_KEY"],
              "AWS_SECRET_ACCESS_KEY": CREDENTIALS["S3_SECRET_KEY"], "AWS_DEFAULT_REGION": "us-east-1"}
    started = time.monotonic()
    up = compose("up", "--detach", "--no-build")
    try:
        if up.returncode != 0:
            pytest.fail(f"podman-compose up failed (exit {up.returncode}):\n{tail(up.stdout, up.stderr)}")
        with pytest.MonkeyPatch.context() as patch:
            for name, value in s3_env.items():
                patch.setenv(name, value)
            store = open_store(f"s3://{bucket}/archive")
            reports = _wait_for_run_reports(store, compose, count=2)
            contents = ArchiveContents.read(store)
        print(f"compose: two scheduled runs in {time.monotonic() - started:.0f} s")
        ps = compose("ps", "--format", "json")
        yield {"contents": contents, "reports": reports, "ps": ps.stdout, "redis_port": redis_port,
               "logs": compose("logs").stdout}
    finally:
        down = compose("down", "--volumes", "--timeout", "20", timeout=180)
        if down.returncode != 0:
            print(f"podman-compose down failed:\n{tail(down.stdout, down.stderr)}")


def _wait_for_run_reports(store: object, compose: Compose, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + RUNS_TIMEOUT
    keys: list[str] = []
    while time.monotonic() < deadline:
        try:
            keys = sorted(obj.key for obj in store.list("runs/"))  # type: ignore[attr-defined]
        except Exception:  # the bucket may not exist yet
            keys = []
        if len(keys) >= count:
            return [json.loads(store.get(key)) for key in keys]  # type: ignore[attr-defined]
        time.sleep(2)
    logs = compose("logs")
    pytest.fail(f"{len(keys)} of {count} scheduled runs finished within {RUNS_TIMEOUT} s; compose logs:\n"
                f"{tail(logs.stdout, logs.stderr, lines=80)}")


def test_scheduled_runs_archive_the_demo_site_into_the_shared_s3_archive(deployment: dict[str, object]) -> None:
    contents = deployment["contents"]
    assert isinstance(contents, ArchiveContents)
    assert contents.warcs, f"no WARCs in the S3 archive: {contents.keys}"
    for key, records in contents.warcs.items():
        assert records[0].type == "warcinfo", key
    fetched = {record.uri for record in contents.all_warc_records() if record.type == "response"}
    assert any(uri.endswith("/robots.txt") for uri in fetched)
    assert len(contents.records) >= 10, "the demo site has more than ten articles"
    assert {record["site"] for record in contents.records} == {"demo-news"}
    first, second = deployment["reports"][:2]  # type: ignore[index]
    assert first["crawl_id"] != second["crawl_id"], "the second run is a new run, started by the schedule"


def test_the_second_scheduled_run_is_incremental(deployment: dict[str, object]) -> None:
    """The seen-store is in the compose file's Redis: the second run archives no article again."""
    contents = deployment["contents"]
    assert isinstance(contents, ArchiveContents)
    urls = [record["url"] for record in contents.records]
    assert len(urls) == len(set(urls)), "an article was archived twice across the scheduled runs"
    import redis

    keys = redis.Redis(host="127.0.0.1", port=int(deployment["redis_port"])).dbsize()  # type: ignore[call-overload]
    assert keys > 0, "nothing in the compose file's Redis: REDIS_URL did not reach the crawler"


def test_the_crawler_keeps_waiting_for_its_next_tick(deployment: dict[str, object]) -> None:
    logs = str(deployment["logs"])
    assert logs.count("newsarchive crawl exited 0") >= 2, tail(logs, None, lines=60)
    assert "crawler" in str(deployment["ps"]) and "running" in str(deployment["ps"]).lower()
