"""fire-7.lua: one slot of a schedule becomes one queued job, and the schedule
advances in the same step, only when it is still where the caller read it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state
from .test_schedule import TEMPLATE, definition, store

SLOT = NOW - 20


def fire(conn: redis.Redis, **kw: Any) -> tuple[int, str] | None:
    args: dict[str, Any] = {
        "rev": "r1", "expected": NOW - 20, "slot": SLOT, "next_slot": SLOT + 1000, "now": NOW,
    }  # fmt: skip
    args.update(kw)
    return transitions.fire_schedule(conn, Q, "s", **args)


def doc(conn: redis.Redis) -> dict[str, Any]:
    return json.loads(state(conn)[Q.schedules]["s"])  # type: ignore[no-any-return]


def test_fire_makes_the_run_and_advances_the_schedule(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT))
    assert fire(connection, meta=b'{"schedule_id":"s"}') == (1, f"s@{SLOT}")
    after = state(connection)
    run = f"s@{SLOT}"
    assert after[Q.job(run)] == {
        **TEMPLATE, "status": "queued", "created": str(NOW), "enqueued": str(NOW),
        "schedule_id": "s", "slot": str(SLOT), "meta": '{"schedule_id":"s"}',
    }  # fmt: skip
    assert after[Q.queued] == [run]
    assert after[Q.wake] == ["1"]
    assert after[Q.schedule_runs("s")] == {run: SLOT}
    assert after[Q.schedule_due] == {"s": SLOT + 1000}
    d = doc(connection)
    assert (d["next_run"], d["last_run"], d["runs"], d["left"], d["last_job"]) == (
        SLOT + 1000, SLOT, 1, -1, run,
    )  # fmt: skip
    assert connection.pttl(Q.job(run)) == -1


def test_stale_revision_or_slot_changes_nothing(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT))
    before = state(connection)
    assert fire(connection, rev="other") == (0, "")
    assert fire(connection, expected=SLOT - 1000, slot=SLOT - 1000) == (0, "")
    assert fire(connection, expected=SLOT, slot=SLOT - 1) == (0, "")  # slot before expected
    assert state(connection) == before


def test_second_fire_of_the_same_slot_does_nothing(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT))
    assert fire(connection) == (1, f"s@{SLOT}")
    after_first = state(connection)
    assert fire(connection) == (0, "")
    assert state(connection) == after_first


def test_unknown_schedule(connection: redis.Redis) -> None:
    assert fire(connection) == (0, "")
    assert state(connection) == {}


def test_collapsed_slot_counts_what_it_passed_over(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT - 5000))
    assert fire(connection, expected=SLOT - 5000, skipped=5) == (1, f"s@{SLOT}")
    d = doc(connection)
    assert (d["skipped"], d["runs"], d["next_run"]) == (5, 1, SLOT + 1000)


def test_last_repeat_ends_the_schedule(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT, repeat=3, left=1, runs=2))
    assert fire(connection) == (2, f"s@{SLOT}")
    after = state(connection)
    assert Q.schedules not in after and Q.schedule_due not in after
    assert Q.schedule_job("s") not in after
    assert after[Q.queued] == [f"s@{SLOT}"]
    assert 0 < connection.pttl(Q.schedule_runs("s")) <= 86_400_000


def test_no_next_slot_ends_the_schedule(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT, kind="once", left=1))
    assert fire(connection, next_slot=None) == (2, f"s@{SLOT}")
    assert Q.schedules not in state(connection)


def test_a_live_job_holding_the_run_id_is_left_alone(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT))
    job = put_job(connection, f"s@{SLOT}", "started")
    assert fire(connection) == (3, f"s@{SLOT}")
    after = state(connection)
    assert after[Q.job(f"s@{SLOT}")] == job
    assert Q.queued not in after
    assert doc(connection)["next_run"] == SLOT + 1000


def test_an_ended_job_holding_the_run_id_is_replaced(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT))
    put_job(connection, f"s@{SLOT}", "finished", result="old")
    connection.zadd(Q.finished, {f"s@{SLOT}": NOW + 500})
    assert fire(connection) == (1, f"s@{SLOT}")
    after = state(connection)
    assert "result" not in after[Q.job(f"s@{SLOT}")]
    assert Q.finished not in after


def test_ttl_and_template_meta(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT, ttl_ms=60_000), {**TEMPLATE, "meta": "{}"})
    fire(connection)
    assert 0 < connection.pttl(Q.job(f"s@{SLOT}")) <= 60_000
    assert state(connection)[Q.job(f"s@{SLOT}")]["meta"] == "{}"  # '' keeps the template's


def test_runs_no_longer_waiting_are_forgotten(connection: redis.Redis) -> None:
    store(connection, definition(next_run=SLOT))
    put_job(connection, "s@1", "finished")
    put_job(connection, "s@2", "queued")
    put_job(connection, "s@3", "finished")
    connection.zadd(Q.schedule_runs("s"), {"s@1": 1, "s@2": 2, "s@3": 3})
    fire(connection)
    # oldest first, up to the first run still waiting
    assert state(connection)[Q.schedule_runs("s")] == {"s@2": 2, "s@3": 3, f"s@{SLOT}": SLOT}


def test_fire_writes_the_runs_trace_context_and_refuses_an_oversized_one(
    connection: redis.Redis,
) -> None:
    store(connection, definition(next_run=SLOT))
    before = state(connection)
    with pytest.raises(redis.ResponseError, match="trace context longer than 1024 bytes"):
        fire(connection, trace="x" * 1025)
    assert state(connection) == before  # nothing was written
    parent = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    assert fire(connection, trace=parent) == (1, f"s@{SLOT}")
    assert state(connection)[Q.job(f"s@{SLOT}")]["trace"] == parent
