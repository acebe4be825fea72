"""enqueue_many-7.lua: store and queue a batch of jobs due now, one push per batch."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.transitions import NewJob

from .conftest import NOW, Q, put_job, state

FIELDS = {"func": "tests.fixtures.jobs.add", "data": "[[1,2],{}]"}


def _job(job_id: str, **kw: object) -> NewJob:
    return NewJob(job_id, FIELDS, **kw)  # type: ignore[arg-type]


def test_batch_is_stored_and_queued_in_order_with_one_wake_token(
    connection: redis.Redis,
) -> None:
    codes = transitions.enqueue_many(connection, Q, [_job("a"), _job("b"), _job("c")], now=NOW)
    assert codes == [1, 1, 1]
    after = state(connection)
    assert after[Q.queued] == ["a", "b", "c"]
    assert after[Q.wake] == ["1"]
    for job_id in "abc":
        assert after[Q.job(job_id)] == {**FIELDS, "status": "queued", "created": str(NOW)}


def test_at_front_jobs_end_up_as_if_pushed_one_by_one(connection: redis.Redis) -> None:
    transitions.enqueue(connection, Q, "old", FIELDS, now=NOW)
    batch = [_job("f1", at_front=True), _job("b1"), _job("f2", at_front=True), _job("b2")]
    transitions.enqueue_many(connection, Q, batch, now=NOW)
    one_by_one = ["f2", "f1", "old", "b1", "b2"]
    assert state(connection)[Q.queued] == one_by_one


def test_ttl_is_per_job(connection: redis.Redis) -> None:
    transitions.enqueue_many(connection, Q, [_job("a", ttl_ms=60_000), _job("b")], now=NOW)
    assert 59_000 < connection.pttl(Q.job("a")) <= 60_000
    assert connection.pttl(Q.job("b")) == -1


@pytest.mark.parametrize("status", ["queued", "started", "scheduled", "deferred"])
def test_a_live_id_is_refused_alone(connection: redis.Redis, status: str) -> None:
    live = put_job(connection, "taken", status)
    codes = transitions.enqueue_many(connection, Q, [_job("a"), _job("taken"), _job("b")], now=NOW)
    assert codes == [1, -1, 1]
    after = state(connection)
    assert after[Q.job("taken")] == live
    assert after[Q.queued] == ["a", "b"]


def test_an_ended_job_with_the_same_id_is_replaced(connection: redis.Redis) -> None:
    put_job(connection, "x", "failed", error="boom")
    connection.zadd(Q.failed, {"x": NOW})
    assert transitions.enqueue_many(connection, Q, [_job("x")], now=NOW) == [1]
    after = state(connection)
    assert after[Q.job("x")] == {**FIELDS, "status": "queued", "created": str(NOW)}
    assert Q.failed not in after
    assert after[Q.queued] == ["x"]


def test_a_batch_refused_whole_writes_no_wake_token(connection: redis.Redis) -> None:
    put_job(connection, "taken", "queued")
    assert transitions.enqueue_many(connection, Q, [_job("taken")], now=NOW) == [-1]
    assert Q.wake not in state(connection)


def test_new_random_ids_are_stored_without_a_lookup(connection: redis.Redis) -> None:
    batch = [_job("n1", new_id=True), _job("n2", new_id=True, at_front=True), _job("x")]
    assert transitions.enqueue_many(connection, Q, batch, now=NOW) == [1, 1, 1]
    after = state(connection)
    assert after[Q.queued] == ["n2", "n1", "x"]
    assert after[Q.job("n1")] == {**FIELDS, "status": "queued", "created": str(NOW)}


def test_a_new_random_id_found_stored_is_not_written_again(connection: redis.Redis) -> None:
    """The same bulk call resent after a lost reply: the jobs it stored stay as they are
    (one that already ran is not queued again)."""
    ran = put_job(connection, "n1", "finished")
    codes = transitions.enqueue_many(
        connection, Q, [_job("n1", new_id=True), _job("n2", new_id=True)], now=NOW
    )
    assert codes == [1, 1]
    after = state(connection)
    assert after[Q.job("n1")] == ran
    assert after[Q.queued] == ["n2"]
