"""Cron strings evaluated in an explicit time zone, correct across DST changes.

croniter walks *wall-clock* times (naive datetimes); this module maps each wall
time to the instant(s) it names in the zone, which is where DST matters:

* **Skipped hour** (clocks jump forward): a wall time that does not exist that
  day fires once, at the instant the clocks jump (e.g. 03:30 in Athens on the
  last Sunday of March fires at 04:00 EEST). Several wall times inside the gap
  collapse into that one run. Daily and hourly-restricted jobs are never lost.
* **Repeated hour** (clocks fall back): an expression that names specific hours
  (``30 3 * * *``) fires once, at the first occurrence. An expression that runs
  every hour (hour field ``*``, e.g. ``*/15 * * * *``) follows elapsed time and
  fires in both passes, so "every 15 minutes" stays every 15 real minutes.

That is classic Vixie cron's rule, which is what people expect from cron. All
functions take instants as integer milliseconds since the epoch; nothing here
reads the clock, so tests inject any "now".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_MS = dt.timedelta(milliseconds=1)
#: longest DST shift searched for around an instant (real zones shift by <= 2 h)
_SHIFT = dt.timedelta(hours=3)
#: cron candidates examined for one next slot before giving up
_MAX_STEPS = 100_000


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; a clear ValueError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'UTC' or 'Europe/Athens'"
        ) from e


def local_zone_name() -> str:
    """The IANA name of this machine's zone (TZ, then /etc/localtime, then /etc/timezone).

    A name, not an offset, is stored so that the scheduler (maybe on another
    machine) follows the zone's DST rules.
    """
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        parts = localtime.resolve().parts
        if "zoneinfo" in parts:
            candidates.append("/".join(parts[parts.index("zoneinfo") + 1 :]))
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    for name in candidates:
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
    raise ValueError(
        "cannot tell this machine's time zone (no TZ, /etc/localtime or /etc/timezone); "
        "pass timezone='Area/City' instead of use_local_timezone=True"
    )


def to_ms(when: dt.datetime) -> int:
    return (when - _EPOCH) // _MS


def from_ms(ms: int) -> dt.datetime:
    return _EPOCH + ms * _MS


@dataclass(frozen=True)
class CronSpec:
    """A cron expression in a zone. Raises ValueError when either is invalid."""

    expression: str
    timezone: str = "UTC"
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _every_hour: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", zone(self.timezone))
        if not isinstance(self.expression, str) or not croniter.is_valid(self.expression):
            raise ValueError(
                f"invalid cron string {self.expression!r}: expected 5 fields "
                "'minute hour day-of-month month day-of-week' (a 6th field is seconds)"
            )
        hours = croniter(self.expression).expanded[1]
        object.__setattr__(self, "_every_hour", hours == ["*"] or len(set(hours)) == 24)

    @property
    def every_hour(self) -> bool:
        """True when the expression runs in every hour: it then follows elapsed time."""
        return self._every_hour

    def next_after(self, after_ms: int) -> int | None:
        """The first slot strictly after ``after_ms``; None if the expression never
        matches again (e.g. ``0 0 30 2 *``)."""
        after = from_ms(after_ms)
        try:
            if self._every_hour and self._in_first_pass(after):
                found = self._next_in_fold(after)
            else:
                found = self._scan(after, _wall(after, self._zone))
        except CroniterBadDateError:
            return None
        return None if found is None else to_ms(found)

    def first_after(self, after_ms: int) -> int:
        """The first slot strictly after ``after_ms``; ValueError, with the message
        every caller shows (scheduler, Django form), when there is none."""
        first = self.next_after(after_ms)
        if first is None:
            raise ValueError(f"cron string {self.expression!r} never matches a future time")
        return first

    # -- internals ------------------------------------------------------------

    def _candidates(self, start_wall: dt.datetime) -> croniter:
        return croniter(self.expression, start_wall)

    def _scan(self, after: dt.datetime, start_wall: dt.datetime) -> dt.datetime | None:
        """Walk wall times from ``start_wall``; the first one naming an instant after
        ``after`` gives the answer (the wall → first-instant map never goes back)."""
        it = self._candidates(start_wall)
        for _ in range(_MAX_STEPS):
            wall = it.get_next(dt.datetime)
            later = [i for i in self._instants(wall) if i > after]
            if later:
                return min(later)
        return None

    def _instants(self, wall: dt.datetime) -> list[dt.datetime]:
        """The instants a wall time names under the rules in the module docstring."""
        first = wall.replace(tzinfo=self._zone, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=self._zone, fold=1).astimezone(UTC)
        if first == second:
            return [first]
        if first < second:  # repeated hour: the wall time happens twice
            return [first, second] if self._every_hour else [first]
        # skipped hour: no instant has this wall time
        return [] if self._every_hour else [self._transition(second, first)]

    def _transition(self, lo: dt.datetime, hi: dt.datetime) -> dt.datetime:
        """The instant in (lo, hi] where the zone's offset changes (to the second)."""
        lo_s, hi_s = to_ms(lo) // 1000, -(-to_ms(hi) // 1000)
        before = self._offset(from_ms(lo_s * 1000))
        while hi_s - lo_s > 1:
            mid = (lo_s + hi_s) // 2
            if self._offset(from_ms(mid * 1000)) == before:
                lo_s = mid
            else:
                hi_s = mid
        return from_ms(hi_s * 1000)

    def _offset(self, instant: dt.datetime) -> dt.timedelta | None:
        return instant.astimezone(self._zone).utcoffset()

    def _in_first_pass(self, after: dt.datetime) -> bool:
        """Is ``after`` in the first pass of a repeated hour (its wall time recurs)?"""
        local = after.astimezone(self._zone)
        return local.fold == 0 and local.replace(fold=1).utcoffset() != local.utcoffset()

    def _next_in_fold(self, after: dt.datetime) -> dt.datetime | None:
        """Next slot from inside the first pass of a repeated hour, for an every-hour
        expression: a later wall time in this pass, else the first wall time of the
        second pass, else whatever follows the fold."""
        change = self._transition(after, after + _SHIFT)
        naive = change.replace(tzinfo=None)
        before, after_change = self._offset(after), self._offset(change)
        assert before is not None and after_change is not None
        fold_start, fold_end = naive + after_change, naive + before
        wall = _wall(after, self._zone)
        nxt = self._candidates(wall).get_next(dt.datetime)
        if nxt < fold_end:
            return nxt.replace(tzinfo=self._zone, fold=0).astimezone(UTC)
        again = self._candidates(fold_start - dt.timedelta(seconds=1)).get_next(dt.datetime)
        if again < fold_end:
            return again.replace(tzinfo=self._zone, fold=1).astimezone(UTC)
        return self._scan(after, wall)


def _wall(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


@functools.lru_cache(maxsize=256)
def cron_spec(expression: str, timezone: str) -> CronSpec:
    """A cached :class:`CronSpec` (the scheduler computes next slots often)."""
    return CronSpec(expression, timezone)
