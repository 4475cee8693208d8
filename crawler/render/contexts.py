"""Browser contexts of rendered sites: one per site at a time, replaced after RENDER_PAGES_PER_CONTEXT pages.

A context holds a site's cookies, cache and whatever its pages leaked; a fresh one bounds that. The old context is
closed once its last page is done (crawler/render/middleware.py); scrapy-playwright makes the new one on demand
from the name and options given here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class ContextPool:
    """Names the context each rendered page opens in, and says when a retired context has no page left."""

    def __init__(self, pages_per_context: int, options: dict[str, Any]) -> None:
        self.pages_per_context = pages_per_context
        self.options = options
        self.generation: Counter[str] = Counter()  # site → number of its current context
        self.started: Counter[str] = Counter()  # context name → pages started in it
        self.open: Counter[str] = Counter()  # context name → pages not done yet

    def current(self, site: str) -> str:
        return f"render-{site}-{self.generation[site]}"

    def take(self, site: str) -> tuple[str, dict[str, Any]]:
        """(context name, its options) for the next page of `site`."""
        name = self.current(site)
        if self.pages_per_context and self.started[name] >= self.pages_per_context:
            self.generation[site] += 1
            name = self.current(site)
        self.started[name] += 1
        self.open[name] += 1
        return name, dict(self.options)

    def release(self, name: str) -> bool:
        """A page of context `name` is done; True when that context is retired and now has no page: close it."""
        if self.open[name] <= 0:
            return False
        self.open[name] -= 1
        site = name.removeprefix("render-").rpartition("-")[0]
        retired = name != self.current(site)
        if self.open[name] == 0 and retired:
            del self.open[name], self.started[name]
            return True
        return False
