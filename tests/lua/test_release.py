"""release-3.lua: hand back jobs taken but not run, to the head of the queue, in order."""

from __future__ import annotations

import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state


def test_released_jobs_go_back_to_the_front_in_their_order(connection: redis.Redis) -> None:
    for i in ("a", "b", "c"):
        put_job(connection, i, "started", worker="w1", attempts=1)
    put_job(connection, "x", "queued")
    connection.rpush(Q.queued, "x")
    connection.zadd(Q.started, {"a": NOW, "b": NOW, "c": NOW})
    assert transitions.release(connection, Q, "w1", ["b", "c"]) == 2
    after = state(connection)
    assert after[Q.queued] == ["b", "c", "x"]
    assert after[Q.started] == {"a": NOW}
    for i in ("b", "c"):
        assert after[Q.job(i)]["status"] == "queued"
        assert after[Q.job(i)]["attempts"] == "0"  # taking it did not count
    assert after[Q.job("a")]["status"] == "started"
    assert after[Q.wake] == ["1"]


def test_jobs_held_by_another_worker_or_gone_are_skipped(connection: redis.Redis) -> None:
    theirs = put_job(connection, "a", "started", worker="w2", attempts=1)
    connection.zadd(Q.started, {"a": NOW})
    put_job(connection, "b", "failed", worker="w1", attempts=1)  # already acknowledged
    before = state(connection)
    assert transitions.release(connection, Q, "w1", ["a", "b", "nope"]) == 0
    assert state(connection) == before
    assert before[Q.job("a")] == theirs


def test_nothing_to_release(connection: redis.Redis) -> None:
    assert transitions.release(connection, Q, "w1", []) == 0
    assert state(connection) == {}


def test_garbage_attempts_do_not_break_the_release(connection: redis.Redis) -> None:
    put_job(connection, "a", "started", worker="w1", attempts="x")
    connection.zadd(Q.started, {"a": NOW})
    assert transitions.release(connection, Q, "w1", ["a"]) == 1
    after = state(connection)
    assert after[Q.queued] == ["a"]
    assert after[Q.job("a")]["status"] == "queued"
