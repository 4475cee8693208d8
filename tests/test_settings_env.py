"""Settings come from settings/base.py and the environment, checked against each setting's type."""

import os
import subprocess
import sys
import types
from typing import Annotated, Literal

import pytest

from settings import base
from settings.env import NOT_SETTINGS, environment_values, resolve
from settings.spec import Bytes, PlainName, SettingsError, read_spec

SPEC = read_spec(base)
BY_NAME = {setting.name: setting for setting in SPEC}


def problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as info:
        environment_values(environ)
    return info.value.problems


def test_every_setting_of_base_has_a_type_default_and_one_line_meaning() -> None:
    assert [s.name for s in SPEC] == [name for name in vars(base) if name.isupper()]
    for setting in SPEC:
        assert setting.meaning.strip() and "\n" not in setting.meaning, setting.name
    for name in ("SPOOL", "S3_PART_SIZE", "S3_MULTIPART_THRESHOLD", "SITES", "REDIS_URL", "EXTRACT_WORKERS",
                 "PROGRESS", "ARCHIVE_URI", "STATE_DIR"):
        assert name in BY_NAME  # every knob the pipeline has is a setting
    assert BY_NAME["ARCHIVE_URI"].variables == ("NEWSARCHIVE_ARCHIVE_URI", "ARCHIVE_URI")
    assert BY_NAME["DEPTH_LIMIT"].variables == ("NEWSARCHIVE_DEPTH_LIMIT",)


def test_values_are_parsed_by_type() -> None:
    environ = {"NEWSARCHIVE_DEPTH_LIMIT": " 3 ", "NEWSARCHIVE_DOWNLOAD_DELAY": "2", "NEWSARCHIVE_PROGRESS": "plain",
               "NEWSARCHIVE_USER_AGENT": " bot (+https://x.example) ", "NEWSARCHIVE_WARC_OPERATOR": "123",
               "NEWSARCHIVE_SPIDER_MODULES": '["a", "b"]', "NEWSARCHIVE_S3_PART_SIZE": "5242880",
               "NEWSARCHIVE_ITEM_PIPELINES": '{"x.Y": 1, "x.Z": null}', "UNRELATED": "1"}
    assert environment_values(environ) == {
        "DEPTH_LIMIT": 3, "DOWNLOAD_DELAY": 2, "PROGRESS": "plain",
        "USER_AGENT": " bot (+https://x.example) ",  # strings are taken as they are, never JSON-parsed
        "WARC_OPERATOR": "123", "SPIDER_MODULES": ["a", "b"], "S3_PART_SIZE": 5242880,
        "ITEM_PIPELINES": {"x.Y": 1, "x.Z": None}}


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("False", False), ("1", True), ("0", False),
                                            ("yes", True), ("NO", False)])
def test_booleans(raw: str, value: bool) -> None:
    assert environment_values({"NEWSARCHIVE_ROBOTSTXT_OBEY": raw}) == {"ROBOTSTXT_OBEY": value}


@pytest.mark.parametrize(("variable", "raw", "message"), [
    ("NEWSARCHIVE_DEPTH_LIMIT", "abc", "NEWSARCHIVE_DEPTH_LIMIT='abc': expected an integer of at least 0 (default 2)"),
    ("NEWSARCHIVE_DEPTH_LIMIT", "2.5", "NEWSARCHIVE_DEPTH_LIMIT='2.5': expected an integer of at least 0 (default 2)"),
    ("NEWSARCHIVE_DEPTH_LIMIT", "true",
     "NEWSARCHIVE_DEPTH_LIMIT='true': expected an integer of at least 0 (default 2)"),
    ("NEWSARCHIVE_ROBOTSTXT_OBEY", "maybe",
     "NEWSARCHIVE_ROBOTSTXT_OBEY='maybe': expected true/false, 1/0 or yes/no (default true)"),
    ("NEWSARCHIVE_DOWNLOAD_DELAY", "nan",
     "NEWSARCHIVE_DOWNLOAD_DELAY='nan': expected a number of at least 0 (default 0.5)"),
    # values of the right type that would fail mid-crawl (a traceback per request), wedge it (0 per domain never
    # fetches) or say nothing (a log level logging does not know raised in Scrapy's start-up)
    ("NEWSARCHIVE_DOWNLOAD_DELAY", "-1", "NEWSARCHIVE_DOWNLOAD_DELAY='-1': expected a number of at least 0"),
    ("NEWSARCHIVE_DOWNLOAD_TIMEOUT", "-5",
     "NEWSARCHIVE_DOWNLOAD_TIMEOUT='-5': expected a number of at least 1 (default 30)"),
    ("NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN", "0",
     "NEWSARCHIVE_CONCURRENT_REQUESTS_PER_DOMAIN='0': expected an integer of at least 1 (default 4)"),
    ("NEWSARCHIVE_CONCURRENT_REQUESTS", "-1",
     "NEWSARCHIVE_CONCURRENT_REQUESTS='-1': expected an integer of at least 1"),
    ("NEWSARCHIVE_EXTRACT_WORKERS", "-3", "NEWSARCHIVE_EXTRACT_WORKERS='-3': expected an integer of at least -1"),
    ("NEWSARCHIVE_LOG_LEVEL", "LOUD",
     "NEWSARCHIVE_LOG_LEVEL='LOUD': expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL (default INFO)"),
    ("NEWSARCHIVE_PROGRESS", "fast",
     "NEWSARCHIVE_PROGRESS='fast': expected one of auto, rich, plain, off (default auto)"),
    ("NEWSARCHIVE_S3_PART_SIZE", "64 lots",
     "NEWSARCHIVE_S3_PART_SIZE='64 lots': expected a whole number of bytes, or a size such as 500MB or 1GiB "
     "(default 67108864)"),
    ("NEWSARCHIVE_S3_PART_SIZE", "2.5", "NEWSARCHIVE_S3_PART_SIZE='2.5': expected a whole number of bytes"),
    ("NEWSARCHIVE_SPIDER_MODULES", "crawler.spiders",
     """NEWSARCHIVE_SPIDER_MODULES='crawler.spiders': expected a JSON list (default ["crawler.spiders"])"""),
    ("NEWSARCHIVE_SPIDER_MODULES", "[1]", """NEWSARCHIVE_SPIDER_MODULES='[1]': expected a JSON list"""),
    ("NEWSARCHIVE_EXTENSIONS", '{"a": "b"}', """NEWSARCHIVE_EXTENSIONS='{"a": "b"}': expected a JSON object"""),
])
def test_badly_typed_values_name_the_variable_and_the_default(variable: str, raw: str, message: str) -> None:
    [problem] = problems({variable: raw})
    assert problem.startswith(message)


@pytest.mark.parametrize(("raw", "value"), [("4096", 4096), ("64MiB", 64 * 1024**2), ("1GB", 10**9),
                                            ("1.5 GiB", 3 * 1024**3 // 2), ("500mb", 500 * 10**6), ("0", 0)])
def test_sizes_take_units(raw: str, value: int) -> None:
    assert environment_values({"NEWSARCHIVE_MIN_FREE_DISK": raw}) == {"MIN_FREE_DISK": value}


def test_unknown_variables_are_named_with_a_suggestion() -> None:
    assert problems({"NEWSARCHIVE_DEPTH_LIMT": "3"}) == [
        "NEWSARCHIVE_DEPTH_LIMT: not a newsarchive setting (did you mean NEWSARCHIVE_DEPTH_LIMIT?)"]
    assert problems({"NEWSARCHIVE_QWERTY": "3"}) == [
        "NEWSARCHIVE_QWERTY: not a newsarchive setting (the settings are listed in docs/settings.md)"]
    assert environment_values(dict.fromkeys(NOT_SETTINGS, "1")) == {}  # the test harness's own variables


def test_every_problem_is_reported_at_once() -> None:
    found = problems({"NEWSARCHIVE_DEPTH_LIMIT": "x", "NEWSARCHIVE_ROBOTSTXT_OBEY": "x", "NEWSARCHIVE_NOPE": "1"})
    assert [p.split(":")[0].split("=")[0] for p in found] == [
        "NEWSARCHIVE_NOPE", "NEWSARCHIVE_ROBOTSTXT_OBEY", "NEWSARCHIVE_DEPTH_LIMIT"]


def test_empty_means_default_and_the_prefixed_name_wins_over_the_plain_one() -> None:
    assert environment_values({"NEWSARCHIVE_DEPTH_LIMIT": "", "ARCHIVE_URI": " "}) == {}
    assert environment_values({"ARCHIVE_URI": "s3://b/p", "REDIS_URL": "redis://r"}) == {
        "ARCHIVE_URI": "s3://b/p", "REDIS_URL": "redis://r"}
    assert environment_values({"ARCHIVE_URI": "s3://b/p", "NEWSARCHIVE_ARCHIVE_URI": "/x"}) == {"ARCHIVE_URI": "/x"}


def test_resolve_fills_in_derived_defaults(tmp_path: os.PathLike[str]) -> None:
    values = resolve({"HOME": str(tmp_path)})
    assert values["DEPTH_LIMIT"] == 2
    assert values["SPOOL"] == f"{tmp_path}/.local/state/newsarchive/spool"
    assert resolve({"NEWSARCHIVE_SPOOL": "/s"})["SPOOL"] == "/s"
    contact = resolve({"NEWSARCHIVE_CONTACT_URL": "https://me.example/bot"})
    assert contact["USER_AGENT"].endswith(" (+https://me.example/bot)")
    assert resolve({"NEWSARCHIVE_CONTACT_URL": "https://me.example/bot",
                    "NEWSARCHIVE_USER_AGENT": "mine"})["USER_AGENT"] == "mine"


def test_spec_refuses_settings_without_type_or_meaning() -> None:
    module = types.ModuleType("fake_settings")
    module.GOOD = 1
    module.__annotations__ = {"GOOD": Annotated[int, "fine"]}
    assert read_spec(module)[0].kind() == "an integer"
    module.BARE = 2
    with pytest.raises(TypeError, match="annotate BARE"):
        read_spec(module)
    module.__annotations__["BARE"] = int
    with pytest.raises(TypeError, match="BARE: annotate it"):
        read_spec(module)
    module.__annotations__["BARE"] = Annotated[Literal["a"], "wrong default"]
    with pytest.raises(TypeError, match="default 2 is not one of a"):
        read_spec(module)
    module.__annotations__["BARE"] = Annotated[Bytes, PlainName(), "bytes"]
    [_, bare] = read_spec(module)
    assert (bare.unit, bare.plain_name, bare.type_name()) == ("bytes", True, "integer (bytes)")


def test_settings_module_applies_overrides_in_a_fresh_interpreter() -> None:
    """What Scrapy's own tools (`scrapy shell`) load: the same values the CLI resolves."""
    code = "import settings; print(settings.DEPTH_LIMIT, settings.ARCHIVE_URI, 'SPOOL' in dir(settings))"
    env = {**os.environ, "NEWSARCHIVE_DEPTH_LIMIT": "5", "ARCHIVE_URI": "/tmp/x"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["5", "/tmp/x", "True"]


def test_importing_settings_base_reads_no_environment() -> None:
    """The CLI imports settings.base and validates the environment itself, so a bad value is its one line."""
    code = "import settings.base, settings.spec; print(settings.base.DEPTH_LIMIT)"
    env = {**os.environ, "NEWSARCHIVE_DEPTH_LIMIT": "abc"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["2"]
