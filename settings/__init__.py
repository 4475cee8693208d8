"""The Scrapy settings module (scrapy.cfg: `default = settings`): settings/base.py with the NEWSARCHIVE_*
environment on top (settings/env.py), for `scrapy shell` and other Scrapy tools.

The values are resolved on first access (a module `__getattr__`, PEP 562), not at import: the newsarchive CLI
imports `settings.base` and checks the environment itself (crawler/config.py), so that a bad value becomes one
line and exit 2 instead of an exception raised while this package is being imported.
"""

import os
from functools import cache
from typing import Any


@cache
def _values() -> dict[str, Any]:
    from settings.env import resolve

    return resolve(os.environ)


def __getattr__(name: str) -> Any:
    if name.isupper():
        try:
            return _values()[name]
        except KeyError:
            pass
    raise AttributeError(f"module 'settings' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_values()])
