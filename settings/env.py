"""Settings from the environment, so containers are configured without editing files.

Every setting of settings/base.py can be set with `NEWSARCHIVE_<NAME>`; the value is checked against the
setting's type (settings/spec.py) and an unknown `NEWSARCHIVE_*` name is an error, so a typo never goes
unnoticed. This module is where the environment is interpreted; crawler/config.py and the package's
`__init__` (for Scrapy's own tools) hand it `os.environ`.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.settings.default_settings import LOG_FORMAT as SCRAPY_LOG_FORMAT

from settings.spec import PREFIX, SETTINGS_DOC, SettingsError, SettingSpec, read_spec

# NEWSARCHIVE_* variables that are not settings: the test harness's (tests/, .ci/run).
NOT_SETTINGS = {
    "NEWSARCHIVE_STRICT_TESTS": "tests: 1 makes a test whose real part cannot run fail instead of skip (CI)",
    "NEWSARCHIVE_TOOL_CACHE": "tests: where the pywb / py-wacz tool environments are cached",
}


def base_module() -> types.ModuleType:
    from settings import base

    return base


def specs() -> tuple[SettingSpec, ...]:
    return read_spec(base_module())


def environment_values(environ: Mapping[str, str], spec: tuple[SettingSpec, ...] | None = None) -> dict[str, Any]:
    """The settings the environment sets, parsed; SettingsError lists every bad value and unknown name.

    An empty value means "not set" (as `VAR=` in a compose file usually does); `NEWSARCHIVE_<NAME>` wins over
    a setting's plain name (ARCHIVE_URI, REDIS_URL).
    """
    spec = specs() if spec is None else spec
    found: dict[str, Any] = {}
    problems = [_unknown(name, spec) for name in sorted(environ)
                if name.startswith(PREFIX) and name not in NOT_SETTINGS and name[len(PREFIX):] not in
                {s.name for s in spec}]
    for setting in spec:
        variable = next((v for v in setting.variables if environ.get(v, "").strip()), None)
        if variable is None:
            continue
        raw = environ[variable]
        try:
            found[setting.name] = setting.parse(raw)
        except ValueError as error:
            problems.append(f"{variable}={raw!r}: {error}")
    if problems:
        raise SettingsError(problems)
    return found


def resolve(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every setting's value: base.py's default, or the environment's; derived defaults filled in."""
    spec = specs()
    given = environment_values(environ, spec)
    values = {setting.name: setting.default for setting in spec} | given
    if "CONTACT_URL" in given and "USER_AGENT" not in given:
        values["USER_AGENT"] = base_module().user_agent(given["CONTACT_URL"])
    # Scrapy reads a setting of the same name as the %-format of its text lines: it gets its own, and the
    # operator's choice travels as LOG_JSON (crawler/logs.py).
    values["LOG_JSON"] = values["LOG_FORMAT"] == "json"
    values["LOG_FORMAT"] = SCRAPY_LOG_FORMAT
    if not values["SPOOL"]:
        values["SPOOL"] = str(default_spool_dir(environ))
    return values


def default_spool_dir(environ: Mapping[str, str]) -> Path:
    """The XDG state directory's spool: $XDG_STATE_HOME (if absolute) or ~/.local/state, plus newsarchive/spool."""
    state = environ.get("XDG_STATE_HOME", "").strip()
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    state_home = Path(state) if state and Path(state).is_absolute() else home / ".local" / "state"
    return state_home / "newsarchive" / "spool"


def _unknown(variable: str, spec: tuple[SettingSpec, ...]) -> str:
    # Compared without the prefix every candidate shares, or it alone would make anything "close".
    known = [s.name for s in spec] + [name.removeprefix(PREFIX) for name in NOT_SETTINGS]
    close = difflib.get_close_matches(variable.removeprefix(PREFIX), known, n=1)
    hint = f"did you mean {PREFIX}{close[0]}?" if close else f"the settings are listed in {SETTINGS_DOC}"
    return f"{variable}: not a newsarchive setting ({hint})"
