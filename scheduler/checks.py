"""Checks of what a schedule is given (intervals, repeats, zones, ids, functions):
each raises ``ValueError`` before anything is stored."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from .. import keys
from ..functions import FunctionResolver, function_path
from ..timeutil import to_ms
from .cron import zone
from .definitions import MAX_CATCH_UP


def interval_ms(interval: float | None) -> int | None:
    if interval is None:
        return None
    if isinstance(interval, dt.timedelta):
        interval = interval.total_seconds()
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
        raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
    ms = round(interval * 1000)
    if ms < 1:
        raise ValueError(f"interval {interval!r} s is below the 1 ms resolution of slots")
    return ms


def repeat(repeat: int | None) -> int | None:
    if repeat is None:
        return None
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive number of runs or None, got {repeat!r}")
    return repeat


def max_instances(value: int | None) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise ValueError(f"max_instances takes a whole number from 1, or None, got {value!r}")
    return value


def catch_up(value: bool | int) -> int:
    if value is True:
        return MAX_CATCH_UP
    if value is False:
        return 0
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"catch_up takes True, False or a number of runs, got {value!r}")
    return min(value, MAX_CATCH_UP)


def time_ms(when: dt.datetime) -> int:
    if not isinstance(when, dt.datetime):
        raise TypeError(f"expected a datetime, got {when!r}")
    return to_ms(when)


def zone_name(timezone: Any) -> str:
    name = getattr(timezone, "key", timezone)  # a ZoneInfo object is fine too
    if not isinstance(name, str):
        raise ValueError(
            f"timezone must be an IANA zone name like 'Europe/Athens', got {timezone!r}"
        )
    zone(name)
    return name


def schedule_id(schedule_id: str | None) -> str:
    if schedule_id is None:
        return uuid.uuid4().hex
    return keys.check_id(schedule_id, "schedule id", 200)


def importable(func: Callable[..., Any] | str) -> str:
    """The function's dotted path, after checking it imports here (a schedule that
    fails on every run because of a typo is worse than an error now)."""
    path = function_path(func)
    try:
        FunctionResolver().resolve(path)
    except (ImportError, AttributeError, TypeError) as e:
        raise ValueError(f"cannot schedule {path!r}: {e}") from e
    return path
