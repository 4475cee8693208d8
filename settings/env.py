"""Environment overrides for settings, so containers are configured without editing files."""

import json
import os
from collections.abc import Mapping, MutableMapping
from typing import Any

PREFIX = "NEWSARCHIVE_"
PLAIN_NAMES = ("ARCHIVE_URI", "REDIS_URL")


def parse_value(raw: str) -> Any:
    """JSON if it parses (numbers, booleans, lists, dicts), else the raw string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def env_overrides(names: list[str], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The overrides the environment asks for, for the given setting names."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for name in names:
        if name in PLAIN_NAMES and environ.get(name):
            found[name] = environ[name]
        if PREFIX + name in environ:
            found[name] = parse_value(environ[PREFIX + name])
    return found


def apply_env_overrides(namespace: MutableMapping[str, Any]) -> None:
    """Overwrite upper-case names in a settings module namespace from the environment."""
    names = [n for n in namespace if n.isupper()]
    namespace.update(env_overrides(names))
