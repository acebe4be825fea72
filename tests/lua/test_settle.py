"""settle-5.lua: settle the dependents of a job ended by hand (enqueue_dependents)."""

from __future__ import annotations

import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state


def _dependent(connection: redis.Redis, job_id: str, parent: str, **fields: object) -> None:
    put_job(connection, job_id, "deferred", pending_deps=1, **fields)
    connection.zadd(Q.deferred, {job_id: NOW})
    connection.sadd(Q.dependents(parent), job_id)


def test_settle_of_a_finished_job_queues_its_dependents(connection: redis.Redis) -> None:
    put_job(connection, "a", "finished")
    _dependent(connection, "d", "a")
    assert transitions.settle(connection, Q, "a", now=NOW)
    after = state(connection)
    assert after[Q.queued] == ["d"]
    assert after[Q.job("d")]["status"] == "queued"
    assert Q.deferred not in after and Q.dependents("a") not in after


def test_settle_of_a_canceled_job_cancels_dependents_unless_they_allow_failure(
    connection: redis.Redis,
) -> None:
    put_job(connection, "a", "canceled")
    _dependent(connection, "d", "a")
    _dependent(connection, "tolerant", "a", allow_dep_fail=1)
    assert transitions.settle(connection, Q, "a", now=NOW)
    after = state(connection)
    assert after[Q.queued] == ["tolerant"]
    assert after[Q.job("d")]["status"] == "canceled"
    assert set(after[Q.canceled]) == {"d"}


def test_settle_of_a_job_that_has_not_ended_changes_nothing(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    _dependent(connection, "d", "a")
    before = state(connection)
    assert not transitions.settle(connection, Q, "a", now=NOW)
    assert state(connection) == before


def test_settle_twice_settles_once(connection: redis.Redis) -> None:
    put_job(connection, "p", "finished")
    put_job(connection, "a", "finished")
    put_job(connection, "d", "deferred", pending_deps=2)
    connection.zadd(Q.deferred, {"d": NOW})
    connection.sadd(Q.dependents("a"), "d")
    connection.sadd(Q.dependents("p"), "d")
    transitions.settle(connection, Q, "a", now=NOW)
    transitions.settle(connection, Q, "a", now=NOW)
    assert connection.hget(Q.job("d"), "status") == b"deferred"
    transitions.settle(connection, Q, "p", now=NOW)
    assert connection.lrange(Q.queued, 0, -1) == [b"d"]


def test_settle_of_a_missing_job_is_false(connection: redis.Redis) -> None:
    assert not transitions.settle(connection, Q, "missing", now=NOW)
    assert state(connection) == {}


def test_settle_of_a_stopped_job_keeps_its_dependents_waiting(connection: redis.Redis) -> None:
    put_job(connection, "a", "stopped")
    _dependent(connection, "d", "a")
    _dependent(connection, "tolerant", "a", allow_dep_fail=1)
    before = state(connection)
    assert not transitions.settle(connection, Q, "a", now=NOW)
    assert state(connection) == before
