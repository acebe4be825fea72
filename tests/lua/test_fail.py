"""fail-7.lua: record failed attempts; retry per the job's Retry or file as failed."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state


def _held(conn: redis.Redis, job_id: str, worker: str = "w1", **fields: object) -> dict[str, str]:
    job = put_job(conn, job_id, "started", **{"worker": worker, "attempts": 1, **fields})
    conn.zadd(Q.started, {job_id: NOW + 1000})
    return job


def test_failure_without_retries_goes_to_failed(connection: redis.Redis) -> None:
    job = _held(connection, "a")
    codes = transitions.fail(connection, Q, "w1", [("a", "Traceback ...", "ValueError")])
    assert codes == [1]
    assert state(connection) == {
        Q.failed: {"a": NOW + 1_000_000},
        Q.job("a"): {
            **job, "status": "failed", "ended": str(NOW), "error": "Traceback ...",
            "reason": "ValueError",
        },
    }  # fmt: skip


def test_retry_without_interval_queues_again(connection: redis.Redis) -> None:
    job = _held(connection, "a", max_attempts=3)
    assert transitions.fail(connection, Q, "w1", [("a", "tb", "RuntimeError")]) == [2]
    assert state(connection) == {
        Q.queued: ["a"],
        Q.wake: ["1"],
        Q.job("a"): {
            **job, "status": "queued", "enqueued": str(NOW), "error": "tb",
            "reason": "RuntimeError",
        },
    }  # fmt: skip


def test_retry_interval_is_picked_by_attempt_and_the_last_repeats(connection: redis.Redis) -> None:
    for attempts, delay_ms in ((1, 200), (2, 400), (3, 400)):
        connection.flushdb()
        _held(connection, "a", max_attempts=9, attempts=attempts, retry_intervals="[0.2, 0.4]")
        assert transitions.fail(connection, Q, "w1", [("a", "tb", "E")]) == [2]
        after = state(connection)
        assert after[Q.scheduled] == {"a": NOW + delay_ms}, attempts
        assert after[Q.job("a")]["status"] == "scheduled"
        assert Q.queued not in after


def test_last_attempt_fails(connection: redis.Redis) -> None:
    _held(connection, "a", max_attempts=3, attempts=3, retry_intervals="[1]")
    assert transitions.fail(connection, Q, "w1", [("a", "tb", "E")]) == [1]
    after = state(connection)
    assert after[Q.job("a")]["status"] == "failed"
    assert Q.scheduled not in after


def test_lease_lost_changes_nothing(connection: redis.Redis) -> None:
    _held(connection, "a", worker="w2")
    before = state(connection)
    assert transitions.fail(connection, Q, "w1", [("a", "tb", "E"), ("nope", "tb", "E")]) == [
        -2,
        -2,
    ]
    assert state(connection) == before


def test_failure_cancels_dependents_recursively_unless_they_allow_it(
    connection: redis.Redis,
) -> None:
    _held(connection, "a")
    put_job(connection, "child", "deferred", pending_deps=1)
    put_job(connection, "grandchild", "deferred", pending_deps=1)
    put_job(connection, "tolerant", "deferred", pending_deps=1, allow_dep_fail=1)
    connection.zadd(Q.deferred, {"child": 1, "grandchild": 1, "tolerant": 1})
    connection.sadd(Q.dependents("a"), "child", "tolerant")
    connection.sadd(Q.dependents("child"), "grandchild")
    transitions.fail(connection, Q, "w1", [("a", "tb", "E")])
    after = state(connection)
    assert after[Q.canceled] == {"child": NOW + 1_000_000, "grandchild": NOW + 1_000_000}
    assert after[Q.job("child")]["reason"] == "dependency a did not finish"
    assert after[Q.job("grandchild")]["reason"] == "dependency child did not finish"
    assert after[Q.job("tolerant")]["status"] == "queued"
    assert after[Q.queued] == ["tolerant"]
    assert Q.deferred not in after
    assert Q.dependents("a") not in after and Q.dependents("child") not in after


def test_retried_job_keeps_its_dependents_waiting(connection: redis.Redis) -> None:
    _held(connection, "a", max_attempts=2)
    put_job(connection, "child", "deferred", pending_deps=1)
    connection.zadd(Q.deferred, {"child": 1})
    connection.sadd(Q.dependents("a"), "child")
    transitions.fail(connection, Q, "w1", [("a", "tb", "E")])
    after = state(connection)
    assert after[Q.job("child")]["status"] == "deferred"
    assert after[Q.dependents("a")] == {"child"}


@pytest.mark.parametrize("raw", ["[oops", '["x"]', "[null]", '{"a": 1}', "7"])
def test_garbage_retry_intervals_mean_no_delay(connection: redis.Redis, raw: str) -> None:
    _held(connection, "a", max_attempts=3, retry_intervals=raw)
    assert transitions.fail(connection, Q, "w1", [("a", "tb", "E")]) == [2]
    after = state(connection)
    assert after[Q.queued] == ["a"]
    assert Q.scheduled not in after
