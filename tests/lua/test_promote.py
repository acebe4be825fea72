"""promote-3.lua: due scheduled jobs join the queue, oldest first."""

from __future__ import annotations

import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state


def test_due_jobs_are_queued_in_due_order(connection: redis.Redis) -> None:
    for i in ("late", "early", "future"):
        put_job(connection, i, "scheduled")
    connection.zadd(Q.scheduled, {"late": NOW, "early": NOW - 500, "future": NOW + 1})
    assert transitions.promote(connection, Q, now=NOW) == 2
    after = state(connection)
    assert after[Q.queued] == ["early", "late"]
    assert after[Q.scheduled] == {"future": NOW + 1}
    assert after[Q.wake] == ["1"]
    for i in ("early", "late"):
        assert after[Q.job(i)]["status"] == "queued"
        assert after[Q.job(i)]["enqueued"] == str(NOW)
    assert after[Q.job("future")]["status"] == "scheduled"


def test_vanished_scheduled_jobs_are_dropped(connection: redis.Redis) -> None:
    connection.zadd(Q.scheduled, {"ghost": NOW - 1})
    assert transitions.promote(connection, Q, now=NOW) == 0
    assert state(connection) == {}


def test_nothing_due(connection: redis.Redis) -> None:
    put_job(connection, "a", "scheduled")
    connection.zadd(Q.scheduled, {"a": NOW + 10})
    before = state(connection)
    assert transitions.promote(connection, Q, now=NOW) == 0
    assert state(connection) == before


def test_a_job_asking_for_the_front_goes_to_the_head(connection: redis.Redis) -> None:
    connection.rpush(Q.queued, "waiting")
    put_job(connection, "first", "scheduled")
    put_job(connection, "front", "scheduled", front="1")
    connection.zadd(Q.scheduled, {"first": NOW - 20, "front": NOW - 10})
    assert transitions.promote(connection, Q, now=NOW) == 2
    assert state(connection)[Q.queued] == ["front", "waiting", "first"]
