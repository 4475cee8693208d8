"""The crawl's archive session and seen-store, bound to a Scrapy crawler.

Extensions, the spider and item pipelines all write through one `ArchiveSession` per crawl. The runner opens
it before Scrapy starts (`open_archive_session`), so whatever stops a crawl from starting — a spool it cannot
write, an archive or Redis that does not answer, a state it cannot read — is one error before any request,
and binds it to the crawler (`bind_session`), which ties its end to `spider_closed`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawler.config import spool_root, store_options
from pipelines.run.session import ArchiveSession
from pipelines.state.seen import SeenStore
from pipelines.state.seen_open import open_seen_store, state_dir

SESSION_ATTRIBUTE = "_newsarchive_session"


def open_archive_session(settings: BaseSettings) -> ArchiveSession:
    """Everything a crawl needs before its first request, opened and checked now, in this order: the spool
    (locked), the archive (it answers; a directory can be written), the seen-store (the archive's state merged
    into the local SQLite file, or Redis), the leftovers of a killed run (their records remembered by the
    seen-store, then uploaded), the dedup index. StoreError (StoreConfigError, StoreUnavailableError) when
    one of them cannot be used."""
    session = ArchiveSession(settings["ARCHIVE_URI"], spool_root=spool_root(settings),
                             store_options=store_options(settings), crawl_id=settings.get("CRAWL_ID") or None,
                             redis_url=settings.get("REDIS_URL") or "",
                             index_batch=settings.getint("WARC_INDEX_BATCH"))
    session.store.check()
    local = Path(settings.get("STATE_DIR") or state_dir(session.spool_root))
    seen = open_seen_store(session.archive_uri, session.store, local_dir=local,
                           redis_url=settings.get("REDIS_URL") or "")

    def snapshot() -> str | None:
        try:
            return seen.snapshot(session.spool, session.crawl_id)
        finally:
            seen.close()

    session.use_seen_store(seen, snapshot)
    session.recover()
    session.load_digests()
    return session


def bind_session(crawler: Crawler, session: ArchiveSession,
                 deadline: Callable[[], float | None] = lambda: None) -> ArchiveSession:
    """Make `session` the crawl's; it is finished when the spider closes, by `deadline()` if that gives one (an
    interrupted crawl, crawler.shutdown); the monitors review the report of a crawl that was not interrupted
    (an interrupted one has no time to read the archive's earlier reports)."""
    setattr(crawler, SESSION_ATTRIBUTE, session)

    def review(report: dict[str, Any]) -> dict[str, Any]:
        from crawler.monitors import review_report  # spidermon is imported by crawls that end, inside the
        # session's guard: a monitor that cannot run never keeps the report from being written

        return review_report(crawler.settings, session.store, report)

    def spider_closed(spider: Any, reason: str) -> None:
        stopping_by = deadline()
        session.finish(reason, stats=crawler.stats.get_stats(), sites=getattr(spider, "site_names", []),
                       deadline=stopping_by, review=review if stopping_by is None else None)

    def spider_opened() -> None:
        # Connected now, after every component and the spider: their spider_closed handlers (which may still
        # write, e.g. the spider's feed validators) run before the session closes.
        crawler.signals.connect(spider_closed, signal=signals.spider_closed, weak=False)

    crawler.signals.connect(spider_opened, signal=signals.spider_opened, weak=False)
    return session


def archive_session(crawler: Crawler) -> ArchiveSession:
    """The crawl's session: the one the runner bound, or (a crawler started by Scrapy's own tools) opened now."""
    session: ArchiveSession | None = getattr(crawler, SESSION_ATTRIBUTE, None)
    return session or bind_session(crawler, open_archive_session(crawler.settings))


def crawl_seen_store(crawler: Crawler) -> SeenStore:
    """The seen-store of the crawl's archive (Redis with REDIS_URL, else SQLite synced with `state/`); its new
    state version is saved and uploaded at the end of the run."""
    seen = archive_session(crawler).seen
    assert seen is not None, "open_archive_session always opens the seen-store"
    return seen
