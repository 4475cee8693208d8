"""The crawling side of newsarchive: spiders, discovery, politeness, WARC capture hooks and the CLI."""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from pipelines import package_version

        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
