"""The processing core of newsarchive: extraction, records, WARC files, object storage and crawl state.

Nothing here imports Scrapy or `crawler` (import-linter contracts in pyproject.toml say so); Scrapy glue
lives in `crawler/`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsarchive")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
