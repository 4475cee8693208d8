"""The crawl's archive session and seen-store, bound to a Scrapy crawler.

Extensions, the spider and item pipelines all write through one `ArchiveSession` per crawl; the first to
ask creates it (recovering what a killed run left in the spool) and ties its end to `spider_closed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.config import spool_root, store_options
from pipelines.run.session import ArchiveSession
from pipelines.state.seen import SeenStore, open_seen_store

SESSION_ATTRIBUTE = "_newsarchive_session"


def archive_session(crawler: Crawler) -> ArchiveSession:
    """The crawl's session, created (and leftovers of a killed run recovered) on first use."""
    session: ArchiveSession | None = getattr(crawler, SESSION_ATTRIBUTE, None)
    if session is None:
        settings = crawler.settings
        session = ArchiveSession(settings["ARCHIVE_URI"], spool_root=spool_root(settings),
                                 store_options=store_options(settings), crawl_id=settings.get("CRAWL_ID") or None,
                                 redis_url=settings.get("REDIS_URL") or "")
        session.recover()
        session.load_digests()
        setattr(crawler, SESSION_ATTRIBUTE, session)

        def spider_closed(spider: Any, reason: str) -> None:
            session.finish(reason, stats=crawler.stats.get_stats(), sites=getattr(spider, "site_names", []))

        crawler.signals.connect(spider_closed, signal=signals.spider_closed, weak=False)
    return session


def crawl_seen_store(crawler: Crawler) -> SeenStore:
    """The seen-store of the crawl's archive (Redis with REDIS_URL, else SQLite synced with `state/`)."""
    settings = crawler.settings
    state = settings.get("STATE_DIR")
    return open_seen_store(archive_session(crawler), redis_url=settings.get("REDIS_URL") or "",
                           local_dir=Path(state) if state else None)
