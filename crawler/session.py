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
from pipelines.state.seen import SeenStore, open_seen_store, state_dir

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
    """The seen-store of the crawl's archive (Redis with REDIS_URL, else SQLite synced with `state/`); its new
    state version is saved and uploaded at the end of the run."""
    settings = crawler.settings
    session = archive_session(crawler)
    local = Path(settings.get("STATE_DIR") or state_dir(session.spool_root))
    seen = open_seen_store(session.archive_uri, session.store, local_dir=local,
                           redis_url=settings.get("REDIS_URL") or "")

    def snapshot() -> str | None:
        try:
            return seen.snapshot(session.spool, session.crawl_id)
        finally:
            seen.close()

    session.save_state_at_end("seen-store", snapshot)
    return seen
