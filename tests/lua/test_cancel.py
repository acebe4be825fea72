"""cancel-7.lua: stop a job that has not ended; its dependents are canceled."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import InvalidJobOperation, NoSuchJobError

from .conftest import NOW, Q, put_job, state


@pytest.mark.parametrize("where", ["queued", "scheduled", "deferred", "started"])
def test_cancel_removes_the_job_from_where_it_waits(connection: redis.Redis, where: str) -> None:
    job = put_job(connection, "a", where)
    put_job(connection, "other", "queued")
    if where == "queued":
        connection.rpush(Q.queued, "a")
    else:
        connection.zadd(getattr(Q, where), {"a": NOW})
    connection.rpush(Q.queued, "other")
    transitions.cancel(connection, Q, "a")
    after = state(connection)
    assert after[Q.canceled] == {"a": NOW + 1_000_000}
    assert after[Q.job("a")] == {
        **job, "status": "canceled", "ended": str(NOW), "reason": "canceled",
    }  # fmt: skip
    assert after[Q.queued] == ["other"]
    assert getattr(Q, where) not in after or where == "queued"


def test_cancel_cascades_to_dependents(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    put_job(connection, "d", "deferred", pending_deps=1)
    put_job(connection, "dd", "deferred", pending_deps=1)
    connection.zadd(Q.deferred, {"d": 1, "dd": 1})
    connection.sadd(Q.dependents("a"), "d")
    connection.sadd(Q.dependents("d"), "dd")
    transitions.cancel(connection, Q, "a")
    after = state(connection)
    assert set(after[Q.canceled]) == {"a", "d", "dd"}
    assert Q.deferred not in after


def test_cancel_wakes_waiters(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued", waiters=1)
    connection.rpush(Q.queued, "a")
    transitions.cancel(connection, Q, "a")
    assert state(connection)[Q.notify("a")] == ["1"]


def test_cancel_missing_job(connection: redis.Redis) -> None:
    with pytest.raises(NoSuchJobError):
        transitions.cancel(connection, Q, "nope")
    assert state(connection) == {}


@pytest.mark.parametrize("status", ["finished", "failed", "canceled", "stopped"])
def test_cancel_ended_job_changes_nothing(connection: redis.Redis, status: str) -> None:
    put_job(connection, "a", status)
    before = state(connection)
    with pytest.raises(InvalidJobOperation):
        transitions.cancel(connection, Q, "a")
    assert state(connection) == before
