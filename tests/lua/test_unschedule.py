"""unschedule-7.lua: a schedule goes, with the runs of it that have not started."""

from __future__ import annotations

import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state
from .test_schedule import definition, store


def test_schedule_and_waiting_runs_go_running_ones_stay(connection: redis.Redis) -> None:
    store(connection, definition())
    put_job(connection, "s@1", "queued")
    put_job(connection, "s@2", "scheduled")
    running = put_job(connection, "s@3", "started")
    connection.rpush(Q.queued, "other", "s@1")
    connection.zadd(Q.scheduled, {"s@2": NOW + 5})
    connection.zadd(Q.started, {"s@3": NOW + 30_000})
    connection.zadd(Q.schedule_runs("s"), {"s@1": 1, "s@2": 2, "s@3": 3})
    assert transitions.remove_schedule(connection, Q, "s") == 2
    after = state(connection)
    for key in (
        Q.schedules,
        Q.schedule_due,
        Q.schedule_job("s"),
        Q.schedule_runs("s"),
        Q.scheduled,
    ):
        assert key not in after
    assert after[Q.queued] == ["other"]
    for run in ("s@1", "s@2"):
        assert after[Q.job(run)]["status"] == "canceled"
        assert after[Q.job(run)]["reason"] == "schedule canceled"
    assert set(after[Q.canceled]) == {"s@1", "s@2"}
    assert after[Q.job("s@3")] == running
    assert after[Q.started] == {"s@3": NOW + 30_000}


def test_runs_of_an_ended_schedule_can_still_be_canceled(connection: redis.Redis) -> None:
    put_job(connection, "s@1", "queued")
    connection.rpush(Q.queued, "s@1")
    connection.zadd(Q.schedule_runs("s"), {"s@1": 1})
    assert transitions.remove_schedule(connection, Q, "s") == 1
    assert state(connection)[Q.job("s@1")]["status"] == "canceled"


def test_unknown_schedule(connection: redis.Redis) -> None:
    assert transitions.remove_schedule(connection, Q, "nope") is None
    assert state(connection) == {}
