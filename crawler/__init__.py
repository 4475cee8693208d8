"""The crawling side of newsarchive: spiders, discovery, politeness, WARC capture hooks and the CLI."""

from pipelines import __version__

__all__ = ["__version__"]
