"""Extraction: one HTML page in, the record's content fields out (body, metadata, language, paywall).

The public API is `pipelines.extract.extract_article(html, url) -> dict`; the same code serves live
crawls, re-extraction, imports and `newsarchive extract`. It is loaded on first use, so importing a light
part of this package (URL identity, the extractor version) does not load the extraction libraries.
"""

from typing import Any

from pipelines.extract.version import EXTRACTOR_VERSION

__all__ = ["EXTRACTOR_VERSION", "extract_article", "warm_up"]


def __getattr__(name: str) -> Any:
    if name in ("extract_article", "warm_up"):
        from pipelines.extract import article

        return getattr(article, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
