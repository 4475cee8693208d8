"""The page budget (MAX_PAGES_PER_SITE): how many requests of a site the crawl may send in one run.

Counted on what the scheduler keeps, not on what the spider makes: a request counts when it is scheduled and is
given back when the scheduler drops it (Scrapy's duplicate filter: `/a#comment-3` is `/a`, a second link to a page
already on its way) or when a downloader middleware refuses it before it leaves (robots.txt, an archived page, a
private address: `IgnoreRequest`, refunded by the spider's errback). So a budget of 2000 means about 2000
responses, whatever the pages link to (2500 `#comment-N` anchors of one article used to spend the whole budget).
A retry is the same page and does not count again; a redirect hop is a response of its own and does.

The spider asks `exhausted()` before it makes a request (nothing is built for a site whose budget is spent), but
the scraper takes up to 2 × CONCURRENT_ITEMS of a callback's output before it schedules any of it, so the count
can lag behind the spider: the budget is enforced where requests are scheduled, by refusing (IgnoreRequest from
`request_scheduled`, which the engine honours) the ones past it. In a shared crawl (REDIS_URL) the count is the
run's, across workers (crawler.distributed: a Redis counter), so N workers spend one budget, not N.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

BUDGET_EXHAUSTED = "newsarchive/budget_exhausted"
SKIPPED_BUDGET = "newsarchive/skipped/budget"


def site_of(request: Request) -> str | None:
    return (request.meta.get("newsarchive") or {}).get("site")


class PageBudget:
    """Requests of each site the scheduler kept (minus those refused before leaving); see module docstring."""

    def __init__(self, limit: int, crawler: Crawler | None = None) -> None:
        self.limit = limit
        self.crawler = crawler  # its stats exist once the crawl starts
        self.spent: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudget:
        budget = cls(crawler.settings.getint("MAX_PAGES_PER_SITE"), crawler)
        crawler.signals.connect(budget.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(budget.dropped, signal=signals.request_dropped)
        return budget

    def exhausted(self, site: str) -> bool:
        """No more requests for this site in this run (as of this worker's last count, in a shared crawl)."""
        return bool(self.limit) and self.spent[site] >= self.limit

    def _spend(self, site: str, amount: int) -> int:
        """Count `amount` requests of the site (negative: given back); → the run's total so far."""
        from crawler.distributed.run import shared_run_of

        run = shared_run_of(self.crawler) if self.crawler is not None else None
        if run is None:
            self.spent[site] += amount
        else:
            self.spent[site] = run.count_scheduled(site, amount)
        return self.spent[site]

    def count_skip(self) -> None:
        """A request refused for the budget: counted, and the run is not complete (feed validators not kept)."""
        if self.crawler is not None:
            self.crawler.stats.inc_value(BUDGET_EXHAUSTED)
            self.crawler.stats.inc_value(SKIPPED_BUDGET)

    def scheduled(self, request: Request, **_: Any) -> None:
        site = site_of(request)
        if site is None or request.meta.get("retry_times"):
            return
        if self.exhausted(site) or (self.limit and self._spend(site, 1) > self.limit):
            if self.spent[site] > self.limit:
                self._spend(site, -1)  # the count of what was scheduled, never past the budget
            self.count_skip()
            raise IgnoreRequest(f"{request.url}: the page budget of site {site} is spent")

    def dropped(self, request: Request, **_: Any) -> None:
        """The scheduler did not keep it (a duplicate)."""
        self.refund(request)

    def refund(self, request: Request) -> None:
        """A request that never became a response of its own: dropped, or refused on its way out."""
        site = site_of(request)
        if site is not None and not request.meta.get("retry_times") and self.spent[site] > 0:
            self._spend(site, -1)
