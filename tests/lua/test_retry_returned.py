"""retry_returned-7.lua: a run whose job function returned a Retry goes back to the
queue (or to scheduled) under that policy, or fails once its max is used up."""

from __future__ import annotations

import json

import pytest
import redis

from jobq import Retry, run_endings

from .conftest import NOW, Q, put_job, state


def _held(conn: redis.Redis, job_id: str, worker: str = "w1", **fields: object) -> dict[str, str]:
    job = put_job(conn, job_id, "started", **{"worker": worker, "attempts": 1, **fields})
    conn.zadd(Q.started, {job_id: NOW + 1000})
    return job


def test_a_returned_retry_queues_the_job_again(connection: redis.Redis) -> None:
    job = _held(connection, "a", error="an earlier run's traceback")
    policy = Retry(max=2).to_json()
    assert run_endings.retry_returned(connection, Q, "w1", [("a", policy)]) == [2]
    del job["error"]
    assert state(connection) == {
        Q.queued: ["a"],
        Q.wake: ["1"],
        Q.job("a"): {
            **job, "status": "queued", "enqueued": str(NOW), "ended": str(NOW),
            "reason": "retry returned", "retry_returned": policy,
        },
    }  # fmt: skip


def test_the_interval_is_picked_by_the_retries_used(connection: redis.Redis) -> None:
    for attempts, delay_ms in ((1, 200), (2, 400), (3, 400)):
        connection.flushdb()
        _held(connection, "a", attempts=attempts)
        policy = Retry(max=9, interval=[0.2, 0.4]).to_json()
        assert run_endings.retry_returned(connection, Q, "w1", [("a", policy)]) == [2]
        after = state(connection)
        assert after[Q.scheduled] == {"a": NOW + delay_ms}, attempts
        assert after[Q.job("a")]["status"] == "scheduled"


def test_the_run_after_the_last_retry_fails(connection: redis.Redis) -> None:
    _held(connection, "a", attempts=3)
    policy = Retry(max=2).to_json()
    assert run_endings.retry_returned(connection, Q, "w1", [("a", policy)]) == [1]
    after = state(connection)
    assert after[Q.job("a")]["status"] == "failed"
    assert after[Q.job("a")]["reason"] == "max retries exceeded"
    assert "error" not in after[Q.job("a")]
    assert "a" in after[Q.failed]


def test_a_job_not_held_by_the_worker_is_left_alone(connection: redis.Redis) -> None:
    _held(connection, "a", worker="other")
    before = state(connection)
    assert run_endings.retry_returned(connection, Q, "w1", [("a", Retry(max=1).to_json())]) == [-2]
    assert state(connection) == before


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        json.dumps({"max": 0, "interval": 0, "enqueue_at_front": False}),
        json.dumps({"max": 1.5, "interval": 0, "enqueue_at_front": False}),
        json.dumps({"max": 1, "interval": [-1], "enqueue_at_front": False}),
        json.dumps({"max": 1, "interval": ["x"], "enqueue_at_front": False}),
        json.dumps({"max": 1, "interval": 0, "enqueue_at_front": "yes"}),
    ],
)
def test_a_garbage_policy_stops_the_step_before_it_writes(
    connection: redis.Redis, policy: str
) -> None:
    _held(connection, "a")
    _held(connection, "b")
    before = state(connection)
    good = Retry(max=1).to_json()
    with pytest.raises(redis.ResponseError, match="returned Retry"):
        run_endings.retry_returned(connection, Q, "w1", [("a", good), ("b", policy)])
    assert state(connection) == before
