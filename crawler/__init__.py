"""The crawling side of newsarchive: spiders, discovery, politeness, WARC capture hooks and the CLI."""

__version__ = "0.1.0"
