"""Time in the formats the original uses (``YYYY-MM-DDTHH:MM:SS.mmmZ``)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


def iso_ms(moment: datetime | None = None) -> str:
    """ISO-8601 with milliseconds and ``Z``, like JavaScript's ``Date.toISOString()``."""
    value = (moment or utc_now()).astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
