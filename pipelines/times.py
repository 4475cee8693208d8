"""Time as the archive writes it: UTC, RFC 3339, with an explicit offset, everywhere (ARCHITECTURE.md)."""

from datetime import UTC, datetime


def rfc3339(moment: datetime) -> str:
    """UTC, RFC 3339, with an explicit offset (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
