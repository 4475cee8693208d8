"""The one configuration path of every command: settings/base.py, the NEWSARCHIVE_* environment, then what
the command line says — resolved and checked once, at start-up, before anything is fetched or written.

`load_settings()` is what the runner and every command call. It refuses, with one line per problem
(ConfigError; the CLI exits 2): a `settings` package other than ours (another installed package of that
name turned a crawl into bare Scrapy — no WARCs, no network guard, robots.txt ignored — that exited 0), a
bad or unknown environment variable, and a pipeline component that an override took out. The pure core
never reads the environment: it gets the values it needs as parameters (`store_options`, `spool_root`).

`python -m crawler.config --markdown` prints docs/settings.md; `--write-docs` rewrites it and the table in
the README.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import types
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.run.report import COVERAGE_FIELDS
from pipelines.store.base import StoreOptions
from pipelines.store.spool import archive_spool_root
from pipelines.times import parse_schedule

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings, Settings

    from settings.spec import SettingSpec

# Nothing of `settings` is imported before our_settings_module() has checked that it is ours.
SETTINGS_PACKAGE = "settings"
COMPONENT_SETTINGS = ("DOWNLOADER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES")
ROBOTS_MIDDLEWARE = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"
ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """Settings this run cannot use: one line per problem, each naming the variable or file and the fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of this run, checked: ours, the environment's values, then `overrides` (the command line)."""
    from scrapy.settings import Settings  # Scrapy is slow to import; keep `--help` fast

    environ = os.environ if environ is None else environ
    base = our_settings_module(environ)
    from settings.env import resolve
    from settings.spec import SettingsError

    try:
        settings = Settings(resolve(environ), priority="project")
    except SettingsError as error:
        raise ConfigError(error.problems) from None
    settings.update(dict(overrides or {}), priority="cmdline")
    problems = [*missing_components(settings, base, environ), *schedule_problems(settings),
                *coverage_problems(settings)]
    if problems:
        raise ConfigError(problems)
    return settings


def our_settings_module(environ: Mapping[str, str]) -> types.ModuleType:
    """settings/base.py of this installation; ConfigError when another `settings` would be the one loaded.

    Checked before importing it, so a stranger's package never runs. The name stays `settings` because the
    design fixes the top-level folder and `scrapy.cfg` / SCRAPY_SETTINGS_MODULE name it; refusing to run is
    safer than loading ours by path behind the back of everything else that imports `settings`.
    """
    ours = ROOT / SETTINGS_PACKAGE / "__init__.py"
    try:
        spec = importlib.util.find_spec(SETTINGS_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    found = Path(spec.origin).resolve() if spec and spec.origin else None
    if found != ours:
        where = found or (spec and list(spec.submodule_search_locations or [])) or "nowhere"
        raise ConfigError([f"another package named '{SETTINGS_PACKAGE}' shadows newsarchive's settings: {where} "
                           f"is loaded instead of {ours.parent}; take it off PYTHONPATH, or install newsarchive "
                           "in a virtual environment of its own"])
    from settings.spec import SETTINGS_DOC

    named = environ.get("SCRAPY_SETTINGS_MODULE", "").strip()
    if named and named != SETTINGS_PACKAGE:
        raise ConfigError([f"SCRAPY_SETTINGS_MODULE={named!r}: newsarchive always uses its own settings module "
                           f"'{SETTINGS_PACKAGE}'; unset it, and set single settings with NEWSARCHIVE_<NAME> "
                           f"({SETTINGS_DOC})"])
    return importlib.import_module(f"{SETTINGS_PACKAGE}.base")


def missing_components(settings: Settings, base: types.ModuleType, environ: Mapping[str, str]) -> list[str]:
    """A line for each component base.py enables that the effective settings leave out."""
    from settings.spec import PREFIX

    problems = []
    for name in COMPONENT_SETTINGS:
        enabled, variable = settings.getwithbase(name), PREFIX + name
        missing = [path for path, order in getattr(base, name).items()
                   if order is not None and enabled.get(path) is None]  # base.py may switch off Scrapy's own
        if missing:
            origin = variable if environ.get(variable, "").strip() else "an override"
            problems.append(f"{name}: {origin} disables {', '.join(missing)}; newsarchive does not run without "
                            f"them ({variable} replaces the whole setting: keep every entry of settings/base.py's "
                            f"{name})")
    if settings.getbool("ROBOTSTXT_OBEY") and settings.getwithbase("DOWNLOADER_MIDDLEWARES").get(
            ROBOTS_MIDDLEWARE) is None:
        problems.append(f"DOWNLOADER_MIDDLEWARES: {ROBOTS_MIDDLEWARE} is disabled, so robots.txt would be ignored "
                        "while ROBOTSTXT_OBEY is true; set NEWSARCHIVE_ROBOTSTXT_OBEY=false to mean it")
    return problems


def schedule_problems(settings: Settings) -> list[str]:
    """REVISIT must be a growing list of durations (it is read by every crawl, so it is checked at start-up)."""
    try:
        revisit_schedule(settings)
    except ValueError as error:
        return [f"NEWSARCHIVE_REVISIT: {error}"]
    return []


def revisit_schedule(settings: BaseSettings) -> tuple[timedelta, ...]:
    """The REVISIT setting as durations (docs/versions.md); () when off."""
    return parse_schedule(settings.getlist("REVISIT"))
def coverage_problems(settings: Settings) -> list[str]:
    """MONITOR_MIN_COVERAGE names fields the run report measures, with shares between 0 and 1."""
    from settings.spec import PREFIX

    problems = []
    for name, share in settings.getdict("MONITOR_MIN_COVERAGE").items():
        if name not in COVERAGE_FIELDS:
            problems.append(f"{PREFIX}MONITOR_MIN_COVERAGE: {name!r} is not a field the run report measures "
                            f"(one of {', '.join(COVERAGE_FIELDS)})")
        elif not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
            problems.append(f"{PREFIX}MONITOR_MIN_COVERAGE: {name}: {share!r} is not a share between 0 and 1")
    return problems


def store_options(settings: Settings) -> StoreOptions:
    """What the store needs beyond ARCHIVE_URI."""
    return StoreOptions(s3_multipart_threshold=settings.getint("S3_MULTIPART_THRESHOLD"),
                        s3_part_size=settings.getint("S3_PART_SIZE"))


def spool_root(settings: Settings) -> Path:
    """This archive's folder in the spool (StoreConfigError for a bad ARCHIVE_URI)."""
    return archive_spool_root(Path(settings["SPOOL"]).expanduser(), settings["ARCHIVE_URI"])


# -- docs/settings.md ---------------------------------------------------------------------------------------

README = ROOT / "README.md"
README_SETTINGS = ("USER_AGENT", "CONTACT_URL", "DEPTH_LIMIT", "MAX_PAGES_PER_SITE", "WARC_MAX_SIZE", "PROGRESS",
                   "ROBOTSTXT_OBEY", "EXTRACT_WORKERS", "ARCHIVE_MAX_RESPONSE_SIZE")
README_START, README_END = "<!-- settings table: start -->", "<!-- settings table: end -->"
DOC_INTRO = """\
# Settings

<!-- Generated from settings/base.py by `python -m crawler.config --write-docs`; tests/test_settings_doc.py
fails when this file is stale. -->

Every command reads its settings the same way: the values in `settings/base.py`, then the environment, then
its own options (`--archive`, `--sites`, `--verbose`, `--refetch` win over the environment).

- Every setting `NAME` is set with the variable `NEWSARCHIVE_NAME`; `ARCHIVE_URI` and `REDIS_URL` also under
  their plain names (the `NEWSARCHIVE_` one wins when both are set). An empty value means the default.
- Integers and numbers as written; booleans `true`/`false`, `1`/`0` or `yes`/`no`; lists and objects as JSON.
- A value of the wrong type, or a `NEWSARCHIVE_*` variable that is not a setting, stops every command before
  it does anything: one line naming the variable (with a "did you mean" for a misspelt name), exit code 2.
- At start-up newsarchive also checks that the `settings` package it loads is its own (not another installed
  package of that name) and that no override took out a component of its pipeline (the
  `DOWNLOADER_MIDDLEWARES`, `EXTENSIONS` and `ITEM_PIPELINES` below, and Scrapy's robots.txt middleware
  while `ROBOTSTXT_OBEY` is true): exit code 2 again, with the reason.

## All settings

"""
DOC_OTHERS = """
## Other variables

| variable | meaning |
|---|---|
| `AWS_*` | boto3's own configuration chain: credentials, `AWS_REGION`, `AWS_ENDPOINT_URL` (MinIO and others), `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` (unset: standard mode, 5 attempts) |
| `XDG_STATE_HOME` | where the spool goes when `SPOOL` is empty |
| `SCRAPY_SETTINGS_MODULE` | for Scrapy's own tools (`scrapy shell`); unset or `settings` (anything else is refused) |
"""  # noqa: E501 - a Markdown table row is one line


def settings_table(spec: tuple[SettingSpec, ...]) -> str:
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for setting in spec:
        variables = " or ".join(f"`{variable}`" for variable in setting.variables)
        rows.append(" | ".join(["", variables, _cell(setting.type_name()), _cell(_default(setting)),
                                _cell(setting.meaning), ""]).strip())
    return "\n".join(rows) + "\n"


def settings_markdown() -> str:
    """docs/settings.md, from the spec."""
    from settings.env import NOT_SETTINGS, specs

    spec = specs()
    harness = "".join(f"| `{name}` | {_cell(meaning)} |\n" for name, meaning in NOT_SETTINGS.items())
    return DOC_INTRO + settings_table(spec) + DOC_OTHERS + harness


def readme_with_table(readme: str) -> str:
    """The README with its settings table (the most used settings) regenerated."""
    from settings.env import specs

    table = settings_table(tuple(s for s in specs() if s.name in README_SETTINGS))
    head, start, rest = readme.partition(README_START)
    _, end, tail = rest.partition(README_END)
    if not start or not end:
        raise SystemExit(f"{README}: the markers {README_START} … {README_END} are missing")
    return f"{head}{start}\n{table}{end}{tail}"


def _default(setting: SettingSpec) -> str:
    from pipelines import __version__
    from settings.spec import render

    if setting.default == "":
        return "(empty)"
    text = f"`{render(setting.default).replace(__version__, '<version>')}`"
    mib = 1024 * 1024
    if setting.unit == "bytes" and setting.default and setting.default % mib == 0:
        text += f" ({setting.default // mib} MiB)"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m crawler.config", description="Settings documentation.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--markdown", action="store_true", help="print docs/settings.md")
    group.add_argument("--write-docs", action="store_true", help="rewrite docs/settings.md and the README table")
    args = parser.parse_args()
    if args.markdown:
        print(settings_markdown(), end="")
        return
    from settings.spec import SETTINGS_DOC

    (ROOT / SETTINGS_DOC).write_text(settings_markdown(), encoding="utf-8")
    README.write_text(readme_with_table(README.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
