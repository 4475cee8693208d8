"""Spider-trap bounds: session ids stripped from URLs, and a cap on link-found URLs per URL shape.

Endless calendars (`/calendar/2024/05/` → next month forever), paginated archives and faceted search
all produce URLs that differ only in numbers. Counting link-discovered URLs per *shape* (digits folded,
query values dropped) bounds them without a list of known traps; article URLs are never capped.
"""

import re
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

_DIGITS = re.compile(r"\d+")


def url_shape(url: str) -> str:
    """Host, path with digit runs folded to `0`, and the sorted query keys: `/calendar/0/0/?view`."""
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{parts.hostname}{_DIGITS.sub('0', parts.path)}?{'&'.join(keys)}"


class ShapeBudget:
    """At most `limit` URLs per (site, shape); `limit` 0 means no cap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: Counter[tuple[str, str]] = Counter()

    def allow(self, site: str, url: str) -> bool:
        """Count the URL against its shape; False once the shape's budget is spent."""
        if not self.limit:
            return True
        key = (site, url_shape(url))
        if self.counts[key] >= self.limit:
            return False
        self.counts[key] += 1
        return True
