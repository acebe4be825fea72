"""Slot arithmetic and firing plans with an injected clock (no Redis, no sleeping)."""

from __future__ import annotations

import datetime as dt

from jobq.scheduler.cron import to_ms
from jobq.scheduler.definitions import MAX_CATCH_UP, Firing, ScheduleState, first_slot, plan

T0 = to_ms(dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC))
GRACE = 5_000


class FakeClock:
    """The injectable clock: time moves only when the test says so."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms

    def time(self) -> float:
        return self.ms / 1000

    def sleep(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


def interval_state(interval_ms: int = 1000, **kw: object) -> ScheduleState:
    fields: dict[str, object] = {
        "id": "s", "queue": "q", "kind": "interval", "func": "m.f",
        "next_run": T0, "first_run": T0, "created": T0, "interval_ms": interval_ms,
    }  # fmt: skip
    fields.update(kw)
    return ScheduleState(**fields)  # type: ignore[arg-type]


def advance(state: ScheduleState, firings: list[Firing]) -> None:
    """What the fire step does to the state, for chaining plans in a test."""
    for f in firings:
        assert f.expected == state.next_run
        state.runs += 1
        state.last_run = f.slot
        if state.left > 0:
            state.left -= 1
        if f.next_slot is not None:
            state.next_run = f.next_slot


def test_nothing_before_the_first_slot() -> None:
    assert plan(interval_state(), T0 - 1, GRACE) == []


def test_next_slot_is_previous_slot_plus_interval_however_late() -> None:
    state, clock = interval_state(250), FakeClock(T0)
    fired = []
    for lateness in (0, 37, 180, 3, 249):  # each pass runs late by a different amount
        now = state.next_run + lateness
        clock.ms = now
        firings = plan(state, clock.ms, GRACE)
        assert len(firings) == 1
        fired.append(firings[0].slot)
        advance(state, firings)
    assert fired == [T0 + 250 * k for k in range(5)]  # no drift
    assert state.next_run == T0 + 250 * 5


def test_drift_free_over_many_slots_with_fractional_interval() -> None:
    state = interval_state(100)
    for k in range(1000):
        firings = plan(state, state.next_run + (k % 7) * 13, GRACE)
        advance(state, firings)
    assert state.next_run == T0 + 100 * 1000
    assert state.runs == 1000


def test_late_slots_within_grace_each_fire() -> None:
    state = interval_state(1000)
    firings = plan(state, T0 + 3_500, GRACE)  # slots T0..T0+3000: all within 5 s
    assert [f.slot for f in firings] == [T0, T0 + 1000, T0 + 2000, T0 + 3000]
    assert [f.expected for f in firings] == [T0, T0 + 1000, T0 + 2000, T0 + 3000]
    assert firings[-1].next_slot == T0 + 4000
    assert all(f.skipped == 0 for f in firings)


def test_missed_slots_fire_once_not_in_a_burst() -> None:
    state = interval_state(1000)
    now = T0 + 3600_000 + 400  # down for an hour
    firings = plan(state, now, GRACE)
    assert firings == [Firing(T0, T0 + 3600_000, T0 + 3601_000, skipped=3600)]  # phase kept


def test_missed_slots_of_a_slow_schedule_collapse_to_the_latest() -> None:
    state = interval_state(60_000)
    firings = plan(state, T0 + 10 * 60_000 + 30_000, GRACE)
    assert firings == [Firing(T0, T0 + 600_000, T0 + 660_000, skipped=10)]


def test_catch_up_fires_each_missed_slot_bounded() -> None:
    state = interval_state(60_000, catch_up=3)
    firings = plan(state, T0 + 10 * 60_000 + 30_000, GRACE)
    assert [f.slot for f in firings] == [T0 + k * 60_000 for k in (8, 9, 10)]
    assert firings[0].skipped == 8
    state = interval_state(1, catch_up=MAX_CATCH_UP)
    assert len(plan(state, T0 + 1_000_000, GRACE)) == MAX_CATCH_UP


def test_repeat_fires_exactly_n_times_then_ends() -> None:
    state = interval_state(1000, repeat=3, left=3)
    slots = []
    now = T0
    while True:
        firings = plan(state, now, GRACE)
        slots += [f.slot for f in firings]
        advance(state, firings)
        if firings and firings[-1].next_slot is None:
            break
        now += 1000
    assert slots == [T0, T0 + 1000, T0 + 2000]
    assert state.left == 0


def test_repeat_is_not_exceeded_by_catching_up() -> None:
    state = interval_state(1000, repeat=2, left=2)
    firings = plan(state, T0 + 4_000, GRACE)
    assert [f.slot for f in firings] == [T0 + 3000, T0 + 4000]
    assert firings[-1].next_slot is None


def test_one_off_fires_once() -> None:
    state = interval_state(kind="once", interval_ms=None, left=1)
    assert plan(state, T0 + 10, GRACE) == [Firing(T0, T0, None)]


def test_cron_schedule_collapses_a_long_outage_quickly() -> None:
    state = ScheduleState(
        id="c", queue="q", kind="cron", func="m.f", next_run=T0, first_run=T0, created=T0,
        cron="* * * * *", timezone="Europe/Athens",
    )  # fmt: skip
    now = T0 + 30 * 24 * 3600_000 + 10_000  # a month of every-minute slots missed
    firings = plan(state, now, GRACE)
    assert len(firings) == 1
    assert firings[0].slot == T0 + 30 * 24 * 3600_000
    assert firings[0].next_slot == firings[0].slot + 60_000


def test_state_survives_lua_cjson_numbers() -> None:
    state = interval_state(1000)
    raw = state.to_json().replace(f'"next_run":{T0}', f'"next_run":{T0}.0')
    assert ScheduleState.from_json(raw).next_run == T0
    assert isinstance(ScheduleState.from_json(raw).next_run, int)


def test_a_first_run_made_now_is_the_first_slot_even_a_few_ms_late() -> None:
    assert first_slot(T0, 60_000, T0 + 7, GRACE) == T0
    assert first_slot(T0, 60_000, T0 + GRACE, GRACE) == T0
    assert first_slot(T0, None, T0 + 600_000, GRACE) == T0  # a one-off keeps its time


def test_an_old_first_run_starts_the_series_on_its_grid() -> None:
    assert first_slot(T0, 60_000, T0 + 90_000, GRACE) == T0 + 120_000
    assert first_slot(T0, 60_000, T0 + 120_000, GRACE) == T0 + 120_000
