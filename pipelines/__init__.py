"""The processing core of newsarchive: extraction, records, WARC files, object storage and crawl state.

Nothing here imports Scrapy or `crawler` (import-linter contracts in pyproject.toml say so); Scrapy glue
lives in `crawler/`. `__version__` is the installed package's, read on first use (importlib.metadata is
slow to import, and `newsarchive --help` should not wait for it).
"""

from functools import cache
from typing import Any


@cache
def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsarchive")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
