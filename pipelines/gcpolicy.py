"""Garbage-collector setting of the long-running processes (the crawl's reactor thread, extraction workers).

CPython's full collections walk every object that survived, and most of those were made at start-up (modules,
settings, Scrapy's components, parse tables) and live as long as the process: on a 1,028-page demo crawl, full
collections took 1.2 s of the reactor thread's 1.7 s of GC. So the process collects once when start-up is done and
freezes what is left (gc.freeze: never walked again, never freed, which it would not be anyway): 0.5 s. The
thresholds stay CPython's: raising the young one to 20,000 saved another 0.5 s but held 230 MB more at the peak
(responses in reference cycles waiting longer for their collection).
"""

import gc
import time

NUDGE_FIRST = 5.0  # seconds after something waits on a cycle's collection
NUDGE_MAX = 600.0  # the longest gap between nudges while nothing they free is waited for


class CycleNudge:
    """A full collection now and then, for a caller waiting on objects that only the collector frees (held in a
    reference cycle: a response and its cached selector, a failure's traceback). CPython's own full collections
    come rarely once most objects are old; the gaps double while a nudge frees nothing the caller waits for (a
    real reference keeps it), back to NUDGE_FIRST once one does.
    """

    def __init__(self) -> None:
        self._gap = NUDGE_FIRST
        self._next: float | None = None

    def due(self) -> bool:
        """Something is waited for: collect if its time has come; → whether a collection ran."""
        now = time.monotonic()
        if self._next is None:
            self._next = now + self._gap
        if now < self._next:
            return False
        gc.collect()
        self._next = time.monotonic() + self._gap
        self._gap = min(self._gap * 2, NUDGE_MAX)
        return True

    def satisfied(self) -> None:
        """Nothing is waited for any more."""
        self._gap, self._next = NUDGE_FIRST, None


def freeze_start_up() -> None:
    """Collect, then keep the collector from walking what the process made so far; call once, after start-up."""
    gc.collect()
    gc.freeze()
