"""Garbage-collector settings of the long-running processes (the crawl's reactor thread, extraction workers).

Both allocate containers by the million (requests, responses, Deferreds, link lists; parse trees' Python
wrappers, paragraph lists) that die young, and CPython's default (a young collection every 700 net allocations,
a full one every 100 of those) spent 1.7 s of a 1,028-page demo crawl's 21 s on the reactor thread, most of it in
full collections that walk every module, setting and Scrapy object made at start-up. So: collect once, freeze what
start-up made (it lives as long as the process; freezing only keeps the collector from walking it again) and run
young collections less often. Garbage in reference cycles still goes at the next young collection, after at most
YOUNG_THRESHOLD more allocations.
"""

import gc

YOUNG_THRESHOLD = 20_000
OLDER_THRESHOLDS = (20, 20)


def collect_less() -> None:
    """Freeze what the process made so far and make young collections rarer; call once, when start-up is done."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
