"""One configuration path: every command loads its settings through crawler.config.load_settings, and refuses
to start — one line, exit 2, no traceback, nothing fetched or written — on a bad environment value, an unknown
NEWSARCHIVE_* variable, a settings package that is not ours, or a pipeline component taken out."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from crawler.config import ConfigError, load_settings, missing_components, spool_root, store_options
from pipelines.store.factory import open_store
from pipelines.store.spool import archive_spool_root
from tests.conftest import run_cli
from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml

MiB = 1024 * 1024


def test_environment_then_command_line_on_top_of_base(tmp_path: Path) -> None:
    environ = {"NEWSARCHIVE_DEPTH_LIMIT": "5", "NEWSARCHIVE_MAX_PAGES_PER_SITE": "7", "ARCHIVE_URI": "s3://bucket/p",
               "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), "NEWSARCHIVE_S3_PART_SIZE": str(8 * MiB),
               "NEWSARCHIVE_S3_MULTIPART_THRESHOLD": str(16 * MiB)}
    settings = load_settings({"MAX_PAGES_PER_SITE": 9}, environ=environ)
    assert settings.getint("DEPTH_LIMIT") == 5
    assert settings.getint("MAX_PAGES_PER_SITE") == 9  # the command line wins
    assert settings.getint("CONCURRENT_REQUESTS") == 16  # base.py
    assert spool_root(settings) == archive_spool_root(tmp_path / "spool", "s3://bucket/p")
    store = open_store(settings["ARCHIVE_URI"], store_options(settings))  # what the crawl's session gets
    assert (store.part_size, store.multipart_threshold) == (8 * MiB, 16 * MiB)  # type: ignore[attr-defined]


def test_a_component_taken_out_is_refused() -> None:
    environ = {"NEWSARCHIVE_EXTENSIONS": '{"crawler.extensions.warc_capture.WarcCaptureExtension": 100}'}
    with pytest.raises(ConfigError) as info:
        load_settings(environ=environ)
    [problem] = info.value.problems
    assert problem.startswith("EXTENSIONS: NEWSARCHIVE_EXTENSIONS disables crawler.extensions.size_cap.ResponseSizeCap,"
                              " crawler.extensions.accounting.ResponseAccounting, crawler.extensions.progress."
                              "ProgressExtension, crawler.extensions.metrics.MetricsExtension, crawler.extensions."
                              "disk_floor.DiskFloor; newsarchive does not run without them")
    with pytest.raises(ConfigError, match="WarcCaptureExtension"):
        load_settings({"EXTENSIONS": {"crawler.extensions.warc_capture.WarcCaptureExtension": None}}, environ={})
    assert load_settings({"ROBOTSTXT_OBEY": False}, environ={}).getbool("ROBOTSTXT_OBEY") is False  # a choice


# -- the CLI ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[FixtureSite, str]]:
    fixture = FixtureSite(articles=days(date(2024, 5, 1), 3))
    with serve_fixture_site(fixture) as base:
        yield fixture, base


@pytest.fixture
def sites_file(site: tuple[FixtureSite, str], tmp_path: Path) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(sites_yaml(site[1]))
    return path


def refused(tmp_path: Path, args: list[str], env: dict[str, str], expected: str, cwd: Path | None = None) -> None:
    """The command exits 2 with exactly the expected line, writes nothing, and leaves no traceback."""
    env = {"ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"), **env}
    result = run_cli(*args, env=env, cwd=cwd, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"newsarchive: {expected}"], result.stderr
    assert not (tmp_path / "archive").exists() and not (tmp_path / "spool").exists()


def crawl_refused(site: tuple[FixtureSite, str], tmp_path: Path, sites_file: Path, env: dict[str, str],
                  expected: str, cwd: Path | None = None) -> None:
    before = len(site[0].hits)
    refused(tmp_path, ["crawl", "--sites", str(sites_file)], env, expected, cwd=cwd)
    assert len(site[0].hits) == before, "a refused crawl sent a request"


BAD_DEPTH = "NEWSARCHIVE_DEPTH_LIMIT='abc': expected an integer of at least 0 (default 2)"


@pytest.mark.parametrize("args", [
    ["demo", "--port", "0"], ["crawl", "--sites", "SITES"],
    ["backfill", "--sites", "SITES", "--site", "gazette", "--from", "2024-05-01", "--to", "2024-05-02"],
    ["import", "some.warc.gz"], ["reextract"], ["extract", "page.html", "--url", "https://x.example/a"],
    ["show", "https://x.example/a"], ["history", "https://x.example/a"], ["status"], ["warc", "ls"],
    ["warc", "verify", "some.warc.gz"],
    ["export", "records", "-o", "out.jsonl", "--format", "jsonl"], ["export", "wacz", "-o", "out.wacz"],
], ids=lambda args: " ".join(args[:2]))
def test_every_command_checks_the_environment_first(args: list[str], site: tuple[FixtureSite, str],
                                                    sites_file: Path, tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>hi</p>")
    args = [str(sites_file) if arg == "SITES" else arg for arg in args]
    before = len(site[0].hits)
    refused(tmp_path, args, {"NEWSARCHIVE_DEPTH_LIMIT": "abc"}, BAD_DEPTH, cwd=tmp_path)
    assert len(site[0].hits) == before
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out.wacz").exists()


@pytest.mark.parametrize(("env", "expected"), [
    ({"NEWSARCHIVE_DEPTH_LIMIT": "abc"}, BAD_DEPTH),
    ({"NEWSARCHIVE_ROBOTSTXT_OBEY": "sometimes"},
     "NEWSARCHIVE_ROBOTSTXT_OBEY='sometimes': expected true/false, 1/0 or yes/no (default true)"),
    ({"NEWSARCHIVE_MAX_PAGES_PER_SIT": "5"},
     "NEWSARCHIVE_MAX_PAGES_PER_SIT: not a newsarchive setting (did you mean NEWSARCHIVE_MAX_PAGES_PER_SITE?)"),
    ({"SCRAPY_SETTINGS_MODULE": "myproject.settings"},
     "SCRAPY_SETTINGS_MODULE='myproject.settings': newsarchive always uses its own settings module 'settings'; "
     "unset it, and set single settings with NEWSARCHIVE_<NAME> (docs/settings.md)"),
    ({"NEWSARCHIVE_DOWNLOADER_MIDDLEWARES": '{"crawler.middlewares.scope.ScopeMiddleware": 40, '
                                            '"crawler.middlewares.archived.ArchivedPageMiddleware": 45, '
                                            '"crawler.middlewares.politeness.PolitenessMiddleware": 60, '
                                            '"crawler.middlewares.bodies.SpiderBodyMiddleware": 590, '
                                            '"crawler.extensions.warc_capture.CaptureTimeMiddleware": 1000}'},
     "DOWNLOADER_MIDDLEWARES: NEWSARCHIVE_DOWNLOADER_MIDDLEWARES disables "
     "crawler.middlewares.netguard.PrivateNetworkGuardMiddleware; newsarchive does not run without them "
     "(NEWSARCHIVE_DOWNLOADER_MIDDLEWARES replaces the whole setting: keep every entry of settings/base.py's "
     "DOWNLOADER_MIDDLEWARES)"),
    ({"NEWSARCHIVE_S3_PART_SIZE": "1024", "ARCHIVE_URI": "s3://bucket/news"},
     "s3://bucket/news: S3 part size 1024 (NEWSARCHIVE_S3_PART_SIZE) is below S3's minimum of 5242880 bytes (5 MiB)"),
], ids=["bad int", "bad bool", "unknown variable", "foreign SCRAPY_SETTINGS_MODULE", "network guard taken out",
        "S3 part size"])
def test_crawl_refuses_bad_configuration_before_any_request(env: dict[str, str], expected: str,
                                                            site: tuple[FixtureSite, str], sites_file: Path,
                                                            tmp_path: Path) -> None:
    crawl_refused(site, tmp_path, sites_file, env, expected)


def test_a_shadowing_settings_package_is_refused_before_it_runs(site: tuple[FixtureSite, str], sites_file: Path,
                                                                tmp_path: Path) -> None:
    """Another package named `settings` ahead of ours on the path used to turn the crawl into bare Scrapy: no
    WARCs, no network guard, robots.txt ignored, exit 0."""
    fake = tmp_path / "elsewhere" / "settings"
    fake.mkdir(parents=True)
    ran = tmp_path / "fake-settings-ran"
    (fake / "__init__.py").write_text(f"open({str(ran)!r}, 'w').close()\nBOT_NAME = 'someone-else'\n")
    ours = Path(__file__).resolve().parent.parent / "settings"
    expected = (f"another package named 'settings' shadows newsarchive's settings: {fake / '__init__.py'} is loaded "
                f"instead of {ours}; take it off PYTHONPATH, or install newsarchive in a virtual environment of its "
                "own")
    crawl_refused(site, tmp_path, sites_file, {"PYTHONPATH": str(tmp_path / "elsewhere")}, expected, cwd=tmp_path)
    assert not ran.exists()


def test_components_base_switches_off_are_not_required() -> None:
    """base.py may disable one of Scrapy's own components (a None order); only what it enables is required."""
    base = SimpleNamespace(DOWNLOADER_MIDDLEWARES={"scrapy.Off": None, "ours.On": 10}, EXTENSIONS={},
                                 ITEM_PIPELINES={})
    settings = load_settings(environ={})
    settings.set("DOWNLOADER_MIDDLEWARES", {"scrapy.Off": None, "ours.On": 10})
    assert missing_components(settings, base, {}) == []  # type: ignore[arg-type]
    settings.set("DOWNLOADER_MIDDLEWARES", {"scrapy.Off": None})
    assert missing_components(settings, base, {}) == [  # type: ignore[arg-type]
        "DOWNLOADER_MIDDLEWARES: an override disables ours.On; newsarchive does not run without them "
        "(NEWSARCHIVE_DOWNLOADER_MIDDLEWARES replaces the whole setting: keep every entry of settings/base.py's "
        "DOWNLOADER_MIDDLEWARES)"]
