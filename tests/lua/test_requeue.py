"""requeue-6.lua: run an ended job again, attempts reset."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import InvalidJobOperation, NoSuchJobError

from .conftest import NOW, Q, put_job, state


@pytest.mark.parametrize(
    "status, registry", [("failed", Q.failed), ("canceled", Q.canceled), ("finished", Q.finished)]
)
def test_requeue_ended_job(connection: redis.Redis, status: str, registry: str) -> None:
    job = put_job(
        connection, "a", status, attempts=3, lost=1, started=NOW - 9, ended=NOW - 5, result="1",
        waiters=1, error="tb", reason="E",
    )  # fmt: skip
    connection.pexpire(Q.job("a"), 10_000)
    connection.zadd(registry, {"a": NOW + 10, "b": NOW + 20})
    put_job(connection, "x", "queued")
    connection.rpush(Q.queued, "x")
    transitions.requeue(connection, Q, "a")
    after = state(connection)
    assert after[Q.queued] == ["x", "a"]
    assert after[registry] == {"b": NOW + 20}
    expected = {**job, "status": "queued", "attempts": "0", "lost": "0", "enqueued": str(NOW)}
    for gone in ("started", "ended", "result", "waiters"):
        expected.pop(gone)
    assert after[Q.job("a")] == expected
    assert connection.pttl(Q.job("a")) == -1


def test_requeue_at_front(connection: redis.Redis) -> None:
    put_job(connection, "a", "failed")
    put_job(connection, "x", "queued")
    connection.rpush(Q.queued, "x")
    transitions.requeue(connection, Q, "a", at_front=True)
    assert state(connection)[Q.queued] == ["a", "x"]


@pytest.mark.parametrize("status", ["queued", "started", "scheduled", "deferred"])
def test_requeue_live_job_changes_nothing(connection: redis.Redis, status: str) -> None:
    put_job(connection, "a", status)
    before = state(connection)
    with pytest.raises(InvalidJobOperation):
        transitions.requeue(connection, Q, "a")
    assert state(connection) == before


def test_requeue_missing_job(connection: redis.Redis) -> None:
    with pytest.raises(NoSuchJobError):
        transitions.requeue(connection, Q, "nope")
    assert state(connection) == {}
