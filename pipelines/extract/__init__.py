"""Extraction: one HTML page in, the record's content fields out (body, metadata, language, paywall).

The public API is `pipelines.extract.extract_article(html, url) -> dict`; the same code serves live
crawls, re-extraction, imports and `newsarchive extract`.
"""

from pipelines.extract.article import EXTRACTOR_VERSION, extract_article, warm_up

__all__ = ["EXTRACTOR_VERSION", "extract_article", "warm_up"]
