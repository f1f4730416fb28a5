"""Which client-supplied times the API accepts: aware, and representable in UTC.

Python holds 0001-01-01 to 9999-12-31 *local* time, so `0001-01-01T00:00+14:00`
parses but has no UTC form; storing or comparing it fails deep in a driver.
"""

from __future__ import annotations

from datetime import UTC, datetime

NO_TIMEZONE = "must include a timezone"
OUT_OF_RANGE = "must lie between 0001-01-01 and 9999-12-31 UTC"


def instant_problem(value: datetime) -> str | None:
    """Why `value` is not a usable instant, or None when it is."""
    if value.utcoffset() is None:
        return NO_TIMEZONE
    try:
        value.astimezone(UTC)
    except OverflowError:
        return OUT_OF_RANGE
    return None
