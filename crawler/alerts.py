"""Failed monitors POSTed as JSON to ALERT_WEBHOOK at the end of a crawl.

A webhook that is down, slow or answers an error is one warning line: an alert must never fail the run
whose data is already archived.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from pipelines import package_version
from pipelines.run.report import report_uri
from pipelines.store.base import redact_uri

log = logging.getLogger(__name__)
TIMEOUT = 10.0  # seconds to connect, and between reads; the run is over, only its exit waits


def where(url: str) -> str:
    """The webhook for messages: scheme and host only (a webhook's path often is its secret)."""
    parts = urlsplit(url)
    return redact_uri(f"{parts.scheme}://{parts.netloc}") if parts.netloc else "(not a URL)"


def alert_body(report: dict[str, Any], exit_code: int) -> dict[str, Any]:
    """What the webhook gets: which run, how it ended, where its report is, and each failed monitor."""
    return {
        "source": f"newsarchive/{package_version()}",
        "crawl_id": report["crawl_id"],
        "command": report["command"],
        "host": report["host"],
        "archive": report["archive"],
        "report": report_uri(report["archive"], report["crawl_id"]),
        "exit_reason": report["exit_reason"],
        "exit_code": exit_code,
        "sites": report["sites"],
        "failures": report["monitors"]["failures"],
    }


def post_alert(url: str, report: dict[str, Any], exit_code: int) -> bool:
    """POST the failures of the report's monitors, if any failed; True when the webhook took it (2xx)."""
    monitors = report.get("monitors") or {}
    if not url or not monitors.get("failures"):
        return False
    if not url.startswith(("http://", "https://")):
        log.warning("ALERT_WEBHOOK=%s: not an http(s) URL; no alert sent", where(url),
                    extra={"event": "alert_failed"})
        return False
    body = json.dumps(alert_body(report, exit_code)).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"newsarchive/{package_version()}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read(65536)
    except (urllib.error.URLError, OSError, ValueError) as error:
        log.warning("ALERT_WEBHOOK %s: alert of %d failed monitor(s) not delivered (%s); they are in the run "
                    "report", where(url), len(monitors["failures"]), error, extra={"event": "alert_failed"})
        return False
    log.info("alert of %d failed monitor(s) sent to %s", len(monitors["failures"]), where(url),
             extra={"event": "alert_sent"})
    return True
