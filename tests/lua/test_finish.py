"""finish-7.lua: record results of a batch of jobs held by this worker."""

from __future__ import annotations

import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state


def _held(conn: redis.Redis, job_id: str, worker: str = "w1", **fields: object) -> dict[str, str]:
    job = put_job(conn, job_id, "started", **{"worker": worker, "attempts": 1, **fields})
    conn.zadd(Q.started, {job_id: NOW + 1000})
    return job


def test_finished_job_is_filed_with_its_result_and_ttl(connection: redis.Redis) -> None:
    job = _held(connection, "a")
    codes = transitions.finish(connection, Q, "w1", [("a", b"42")])
    assert codes == [1]
    assert state(connection) == {
        Q.finished: {"a": NOW + 500_000},
        Q.job("a"): {**job, "status": "finished", "ended": str(NOW), "result": "42"},
    }
    assert 499_000 < connection.pttl(Q.job("a")) <= 500_000


def test_batch_with_a_lost_lease(connection: redis.Redis) -> None:
    _held(connection, "a")
    other = _held(connection, "b", worker="w2")
    codes = transitions.finish(connection, Q, "w1", [("a", b"1"), ("b", b"2"), ("gone", b"3")])
    assert codes == [1, -2, -2]
    after = state(connection)
    assert after[Q.started] == {"b": NOW + 1000}
    assert after[Q.job("b")] == other
    assert after[Q.finished] == {"a": NOW + 500_000}


def test_job_no_longer_in_started_is_not_finished(connection: redis.Redis) -> None:
    job = put_job(connection, "a", "canceled", worker="w1")
    assert transitions.finish(connection, Q, "w1", [("a", b"1")]) == [-2]
    assert state(connection) == {Q.job("a"): job}


def test_result_ttl_zero_deletes_and_minus_one_keeps(connection: redis.Redis) -> None:
    _held(connection, "zero", result_ttl=0)
    _held(connection, "forever", result_ttl=-1)
    assert transitions.finish(connection, Q, "w1", [("zero", b"1"), ("forever", b"2")]) == [1, 1]
    after = state(connection)
    assert Q.job("zero") not in after
    assert after[Q.finished] == {"forever": float("inf")}
    assert connection.pttl(Q.job("forever")) == -1


def test_result_ttl_zero_keeps_the_outcome_only_for_its_waiters(connection: redis.Redis) -> None:
    _held(connection, "zero", result_ttl=0, waiters=1)
    transitions.finish(connection, Q, "w1", [("zero", b"1")])
    after = state(connection)
    assert after[Q.job("zero")]["result"] == "1"
    assert after[Q.notify("zero")] == ["1"]
    assert Q.finished not in after
    assert 0 < connection.pttl(Q.job("zero")) <= 60_000


def test_waiters_are_woken(connection: redis.Redis) -> None:
    _held(connection, "a", waiters=2)
    transitions.finish(connection, Q, "w1", [("a", b"1")])
    after = state(connection)
    assert after[Q.notify("a")] == ["1", "1"]
    assert "waiters" not in after[Q.job("a")]
    assert 0 < connection.pttl(Q.notify("a")) <= 60_000


def test_deferred_dependents_are_queued_when_their_last_dependency_finishes(
    connection: redis.Redis,
) -> None:
    _held(connection, "a")
    put_job(connection, "d1", "deferred", pending_deps=1)
    put_job(connection, "d2", "deferred", pending_deps=2)
    connection.zadd(Q.deferred, {"d1": NOW - 10, "d2": NOW - 10})
    connection.sadd(Q.dependents("a"), "d1", "d2")
    transitions.finish(connection, Q, "w1", [("a", b"1")])
    after = state(connection)
    assert after[Q.queued] == ["d1"]
    assert after[Q.wake] == ["1"]
    assert after[Q.deferred] == {"d2": NOW - 10}
    assert after[Q.job("d1")]["status"] == "queued"
    assert after[Q.job("d1")]["pending_deps"] == "0"
    assert after[Q.job("d2")]["pending_deps"] == "1"
    assert Q.dependents("a") not in after


def test_garbage_pending_count_of_a_dependent_releases_it(connection: redis.Redis) -> None:
    _held(connection, "a")
    put_job(connection, "d", "deferred", pending_deps="?")
    connection.zadd(Q.deferred, {"d": 1})
    connection.sadd(Q.dependents("a"), "d")
    assert transitions.finish(connection, Q, "w1", [("a", b"1")]) == [1]
    assert state(connection)[Q.queued] == ["d"]
