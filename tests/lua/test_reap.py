"""reap-11.lua: expired leases go back to the queue, or to failed after MAX_LOST losses."""

from __future__ import annotations

import redis

from jobq import defaults, transitions

from .conftest import NOW, Q, put_job, state


def test_expired_lease_requeues_at_the_front(connection: redis.Redis) -> None:
    job = put_job(connection, "a", "started", worker="w1", attempts=1)
    put_job(connection, "live", "started", worker="w2", attempts=1)
    put_job(connection, "x", "queued")
    connection.rpush(Q.queued, "x")
    connection.zadd(Q.started, {"a": NOW - 1, "live": NOW + 5000})
    assert transitions.reap(connection, Q, now=NOW) == (["a"], [])
    after = state(connection)
    assert after[Q.queued] == ["a", "x"]
    assert after[Q.started] == {"live": NOW + 5000}
    assert after[Q.job("a")] == {**job, "status": "queued", "reason": "worker died", "lost": "1"}


def test_job_lost_max_lost_times_fails_with_worker_died(connection: redis.Redis) -> None:
    job = put_job(connection, "a", "started", worker="w9", attempts=3, lost=defaults.MAX_LOST - 1)
    connection.zadd(Q.started, {"a": NOW - 1})
    put_job(connection, "child", "deferred", pending_deps=1)
    connection.zadd(Q.deferred, {"child": 1})
    connection.sadd(Q.dependents("a"), "child")
    assert transitions.reap(connection, Q, now=NOW) == ([], ["a"])
    after = state(connection)
    assert after[Q.failed] == {"a": NOW + 1_000_000}
    assert after[Q.job("a")] == {
        **job,
        "status": "failed",
        "ended": str(NOW),
        "lost": str(defaults.MAX_LOST),
        "reason": "worker died",
        "error": f"worker died: w9 stopped renewing its lease {defaults.MAX_LOST} time(s)",
    }
    assert after[Q.job("child")]["status"] == "canceled"
    assert Q.started not in after and Q.queued not in after


def test_lease_of_a_vanished_job_is_dropped(connection: redis.Redis) -> None:
    connection.zadd(Q.started, {"ghost": NOW - 1})
    assert transitions.reap(connection, Q, now=NOW) == ([], [])
    assert state(connection) == {}


def test_nothing_expired(connection: redis.Redis) -> None:
    put_job(connection, "a", "started", worker="w1")
    connection.zadd(Q.started, {"a": NOW + 1})
    before = state(connection)
    assert transitions.reap(connection, Q, now=NOW) == ([], [])
    assert state(connection) == before


def test_garbage_lost_counter_is_reset(connection: redis.Redis) -> None:
    put_job(connection, "a", "started", worker="w1", lost="many")
    connection.zadd(Q.started, {"a": NOW - 1})
    assert transitions.reap(connection, Q, now=NOW) == (["a"], [])
    assert state(connection)[Q.job("a")]["lost"] == "1"


def test_reaped_jobs_are_counted_by_function_with_the_depth(connection: redis.Redis) -> None:
    put_job(connection, "a", "started", worker="w1", attempts=1, func="m.f")
    put_job(connection, "b", "started", worker="w1", attempts=1, lost=defaults.MAX_LOST - 1)
    connection.zadd(Q.started, {"a": NOW - 1, "b": NOW - 1})
    assert transitions.reap(connection, Q, now=NOW, history=True) == (["a"], ["b"])
    h10, h60, total, _ = Q.history_keys(NOW)
    for key in (h10, h60, total):
        fields = connection.hgetall(key)
        assert fields[b"reaped"] == b"2" and fields[b"failed"] == b"1"
        assert fields[b"reaped@m.f"] == b"1"
    assert connection.hget(h10, "depth") == b"1"


def test_a_history_key_of_another_kind_does_not_stop_the_reaping(connection: redis.Redis) -> None:
    put_job(connection, "a", "started", worker="w1", attempts=1)
    connection.zadd(Q.started, {"a": NOW - 1})
    connection.set(Q.history_total, "garbage")
    assert transitions.reap(connection, Q, now=NOW, history=True) == (["a"], [])
    assert connection.get(Q.history_total) == b"garbage"
    assert not connection.exists(Q.history_keys(NOW)[0])
