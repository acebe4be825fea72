"""A schedule's stored definition and the slot arithmetic that decides what fires.

Everything here is pure: ``now`` is always an argument, so tests drive it with
any clock. The definition is the JSON document kept in the queue's
``schedules`` hash; the fire step (``jobq/lua/fire-7.lua``) updates its state
fields (``next_run``, ``last_run``, ``runs``, ``left``, ``skipped``,
``last_job``) in the same step that makes the run's job.

Slots are exact: an interval schedule's slots are ``first_run + k * interval``
(the next slot is the previous *slot* plus the interval, never "now plus the
interval", so lateness never accumulates into drift); a cron schedule's slots
come from :mod:`.cron`.
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .. import defaults
from .cron import cron_spec

Kind = Literal["once", "interval", "cron"]

#: late slots fired one by one in one pass at most (older ones are passed over)
MAX_CATCH_UP = defaults.SCHEDULER_MAX_CATCH_UP
#: cron slots enumerated while looking for the latest due one, before jumping ahead
_SCAN_CAP = 10_000


def new_rev() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class ScheduleState:
    """The stored definition of one schedule (all times in ms since the epoch)."""

    id: str
    queue: str
    kind: Kind
    func: str
    next_run: int
    first_run: int
    created: int
    description: str = ""
    interval_ms: int | None = None
    cron: str | None = None
    timezone: str | None = None
    #: total runs asked for (None: forever)
    repeat: int | None = None
    #: runs still to fire (-1: forever)
    left: int = -1
    #: missed slots fired one by one when the scheduler comes back (0: collapse them)
    catch_up: int = 0
    #: at most this many runs queued or running at once; a slot past it is skipped and
    #: recorded as a run with status 'skipped' (0: no limit, rq-scheduler's behaviour)
    max_instances: int = 0
    ttl_ms: int = 0
    runs: int = 0
    skipped: int = 0
    last_run: int = 0
    last_job: str = ""
    rev: str = field(default_factory=new_rev)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> ScheduleState:
        data: dict[str, Any] = json.loads(raw)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        # Lua's cjson writes whole numbers back as numbers, maybe as floats
        for name in ("next_run", "first_run", "created", "left", "catch_up", "ttl_ms", "runs",
                     "skipped", "last_run", "interval_ms", "repeat", "max_instances"):  # fmt: skip
            if isinstance(known.get(name), float):
                known[name] = int(known[name])
        return cls(**known)

    def next_after(self, slot: int) -> int | None:
        """The slot that follows ``slot``; None for a one-off schedule."""
        if self.kind == "interval":
            assert self.interval_ms
            return slot + self.interval_ms
        if self.kind == "cron":
            assert self.cron
            return cron_spec(self.cron, self.timezone or "UTC").next_after(slot)
        return None


def first_slot(anchor: int, interval_ms: int | None, now: int, grace_ms: int) -> int:
    """Where a new series on the grid ``anchor + k * interval`` starts.

    An anchor at most ``grace_ms`` in the past is the first run itself: a schedule
    made "now" (a form's default, ``schedule(datetime.now(), ...)``) reaches Redis a
    few ms later and must still run now, exactly as the fire step treats a slot that
    is a little late. An older anchor starts the series at its first slot not in the
    past; a one-off (no interval) keeps its time, and the fire step runs it."""
    if interval_ms is None or now - anchor <= grace_ms:
        return anchor
    passed = -(-(now - anchor) // interval_ms)  # ceil
    return anchor + passed * interval_ms


@dataclass(frozen=True)
class Firing:
    """One fire step: fire ``slot`` if the schedule is still at ``expected``, then
    move it to ``next_slot`` (None: the schedule ends). ``skipped`` older slots
    were passed over."""

    expected: int
    slot: int
    next_slot: int | None
    skipped: int = 0


def due_slots(state: ScheduleState, now: int, keep: int) -> tuple[list[int], int]:
    """The latest ``keep`` slots that are due (<= now), oldest first, and how many
    earlier due slots there were."""
    start = state.next_run
    if start > now:
        return [], 0
    if state.kind == "interval":
        assert state.interval_ms
        step = state.interval_ms
        count = (now - start) // step + 1
        first_kept = max(0, count - keep)
        return [start + k * step for k in range(first_kept, count)], first_kept
    return _enumerate(state, start, now, keep)


def _enumerate(state: ScheduleState, start: int, now: int, keep: int) -> tuple[list[int], int]:
    kept: deque[int] = deque(maxlen=keep)
    seen = 0
    slot: int | None = start
    while slot is not None and slot <= now:
        kept.append(slot)
        seen += 1
        if seen >= _SCAN_CAP:
            # down for very long with a frequent cron: jump to the last stretch
            slot = _jump_near(state, now)
            if slot is None:
                break
            kept.clear()
            kept.append(slot)
        slot = state.next_after(slot)
    return list(kept), seen - len(kept)


def _jump_near(state: ScheduleState, now: int) -> int | None:
    """A due slot close to ``now`` (found by looking back 1 min, 2 min, 4 min ...)."""
    back = 60_000
    while back < 400 * 24 * 3600 * 1000:
        slot = state.next_after(now - back)
        if slot is not None and slot <= now:
            return slot
        back *= 2
    return None


def plan(
    state: ScheduleState, now: int, grace_ms: int, *, max_catch_up: int = MAX_CATCH_UP
) -> list[Firing]:
    """What to fire now, in order.

    When the oldest due slot is at most ``grace_ms`` late, the scheduler is merely
    late (a pause, a failover) and each due slot fires. Otherwise it was down:
    the missed slots collapse into one run at the latest due slot, unless
    ``catch_up`` asks for each of the last N. At most ``max_catch_up`` runs per
    pass, and never more than the repeats left.
    """
    slots, older = due_slots(state, now, max_catch_up)
    if not slots:
        return []
    each = now - state.next_run <= grace_ms
    n = min(len(slots), max(len(slots) if each else 1, state.catch_up), max_catch_up)
    if state.left > 0:
        n = min(n, state.left)
    fire = slots[-n:]
    passed_over = older + len(slots) - n
    left = state.left
    firings = []
    expected = state.next_run
    for i, slot in enumerate(fire):
        left = left - 1 if left > 0 else left
        if left == 0:
            nxt = None
        elif i + 1 < len(fire):
            nxt = fire[i + 1]
        else:
            nxt = state.next_after(slot)
        firings.append(Firing(expected, slot, nxt, passed_over if i == 0 else 0))
        if nxt is None:
            break
        expected = nxt
    return firings
