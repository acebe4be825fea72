"""Time conversions at the API boundary: datetimes in, integer milliseconds inside."""

from __future__ import annotations

import datetime as dt


def to_ms(when: dt.datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is read in the machine's local time."""
    if when.tzinfo is None:
        when = when.astimezone()  # naive → local zone
    return int(when.timestamp() * 1000)


def from_ms(ms: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
