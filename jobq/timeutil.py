"""Time conversions at the API boundary: datetimes in, integer milliseconds inside."""

from __future__ import annotations

import datetime as dt
import math


def to_ms(when: dt.datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is read in the machine's local time."""
    if when.tzinfo is None:
        when = when.astimezone()  # naive → local zone
    return int(when.timestamp() * 1000)


def from_ms(ms: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


#: a duration option: seconds, a string such as "15m", or a timedelta (see :func:`seconds`)
Seconds = float | str | dt.timedelta

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def seconds(value: Seconds | None, name: str) -> float | None:
    """A duration as rq takes it: seconds (``-1`` where rq means "forever"), a string
    such as ``"90"``, ``"15m"``, ``"1h"``, ``"2d"``, or a timedelta. The one parser of
    durations (options, settings, URLs), so that each takes what the others take.
    Refused before anything is stored: a nan or infinite duration would reach the
    scripts as garbage."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bool):
        raise TypeError(f"{name} must be seconds or a string such as '1h', not a bool")
    if isinstance(value, str):
        text = value.strip().lower()
        scale = _UNITS.get(text[-1:], 0)
        try:
            number = float(text[:-1] if scale else text) * (scale or 1)
        except ValueError:
            raise ValueError(
                f"{name} must be seconds or a string such as '90', '15m', '1h', '2d'; got {value!r}"
            ) from None
    elif isinstance(value, int | float):
        number = value
    else:
        raise TypeError(
            f"{name} must be seconds or a string such as '1h', not {type(value).__name__}"
        )
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")
    return float(number)
