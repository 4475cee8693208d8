"""The items that pass from the spider through the item pipelines: plain dicts (what Scrapy hands around), typed.

A `PageItem` is an HTML page as the spider yields it (crawler.spiders.news.page_item); `ExtractPipeline` turns
an article's into a `RecordItem`, which the version, dedup and record-writer pipelines pass on.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NotRequired, TypedDict

if TYPE_CHECKING:
    import re

    from pipelines.extract.sites import SiteRules
    from pipelines.records.types import Discovery, Record, WarcPointer
    from pipelines.state.versions import PageFetch


class PageItem(TypedDict):
    """A fetched HTML page: what the extraction worker needs (body, rules, patterns) and the capture's facts."""

    url: str
    requested_url: str  # the first URL of a redirect chain
    status: int
    body: bytes  # decoded (content codings undone)
    content_type: str | None
    fetched_at: datetime
    warc: WarcPointer | None  # None: the capture extension wrote nothing (the page is not recorded)
    site: str
    rules: SiteRules | None
    article_patterns: tuple[re.Pattern[str], ...]
    deny_patterns: tuple[re.Pattern[str], ...]
    discovery: Discovery
    rendered: bool
    fetch: PageFetch  # remembered for the next conditional GET if the page is a tracked article


class RecordItem(TypedDict):
    """An article's record on its way to the archive."""

    record: Record
    fetch: PageFetch | None
    new_version: NotRequired[bool]  # set by VersionPipeline: the record is a new version of an archived article
