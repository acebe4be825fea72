"""rq-scheduler's helpers (``rq_scheduler.utils``): Unix time and cron look-ahead."""

from __future__ import annotations

import calendar
import datetime as dt

from croniter import croniter


def from_unix(value: str | float) -> dt.datetime:
    """A Unix timestamp → naive UTC datetime (rq-scheduler's convention)."""
    return dt.datetime.fromtimestamp(float(value), dt.UTC).replace(tzinfo=None)


def to_unix(value: dt.datetime) -> int:
    """A datetime (naive: UTC) → whole Unix seconds."""
    return calendar.timegm(value.utctimetuple())


def get_next_scheduled_time(cron_string: str, use_local_timezone: bool = False) -> dt.datetime:
    """The next time ``cron_string`` fires after now, read in local time, returned
    aware in UTC (or local time with ``use_local_timezone``)."""
    local_now = dt.datetime.now().astimezone()
    following: dt.datetime = croniter(cron_string, local_now).get_next(dt.datetime)
    if use_local_timezone:
        return following.astimezone()
    return following.astimezone(dt.UTC)


def rationalize_until(until: dt.datetime | dt.timedelta | float | None = None) -> float | str:
    """``get_jobs(until=...)``'s argument as Unix seconds (``"+inf"`` for None)."""
    if until is None:
        return "+inf"
    if isinstance(until, dt.datetime):
        return to_unix(until)
    if isinstance(until, dt.timedelta):
        return to_unix(dt.datetime.now(dt.UTC) + until)
    return until
