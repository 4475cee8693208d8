"""A records file never reaches the archive before the WARC it points into.

Two threads learn of the two events: an upload thread that its WARC is in the archive, the crawl's thread that
the records file is finished (no record can come to it any more). Whichever learns second uploads the records
file; this object tells each which it is, under one lock.
"""

from __future__ import annotations

import threading


class RecordsAfterWarcs:
    """Which WARCs are uploaded, and which finished records files wait for theirs."""

    def __init__(self) -> None:
        self._uploaded: set[str] = set()  # added to by upload threads
        self._waiting: set[str] = set()  # WARCs whose finished records file waits for the WARC's upload
        self._lock = threading.Lock()

    def warc_uploaded(self, warc_key: str) -> bool:
        """The WARC is in the archive (verified); → whether its records file was finished first and waits, for the
        caller to upload it now."""
        with self._lock:
            self._uploaded.add(warc_key)
            waiting = warc_key in self._waiting
            self._waiting.discard(warc_key)
        return waiting

    def records_finished(self, warc_key: str) -> bool:
        """The WARC's records file is finished; → whether the WARC is uploaded already, for the caller to upload the
        records file now (else the WARC's upload thread does, `warc_uploaded`)."""
        with self._lock:
            uploaded = warc_key in self._uploaded
            if not uploaded:
                self._waiting.add(warc_key)
        return uploaded

    def still_waiting(self) -> list[str]:
        """At the end of the run: the WARCs whose records file was finished during the run and still waits (their
        upload failed or has not ended), in key order; no longer waiting after this."""
        with self._lock:
            waiting = sorted(self._waiting)
            self._waiting.clear()
        return waiting

    def is_uploaded(self, warc_key: str) -> bool:
        """Whether the WARC is in the archive."""
        with self._lock:
            return warc_key in self._uploaded
