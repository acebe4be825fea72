"""empty-1.lua: delete queued jobs (ids and data), a chunk per call."""

from __future__ import annotations

import redis

from jobq import scripts, transitions

from .conftest import NOW, Q, put_job, state


def test_empty_deletes_queued_jobs_only(connection: redis.Redis) -> None:
    for i in range(5):
        put_job(connection, f"q{i}", "queued")
        connection.rpush(Q.queued, f"q{i}")
    running = put_job(connection, "s", "started")
    connection.zadd(Q.started, {"s": NOW})
    assert transitions.empty(connection, Q, chunk=2) == 5
    assert state(connection) == {Q.job("s"): running, Q.started: {"s": NOW}}


def test_one_call_removes_at_most_a_chunk(connection: redis.Redis) -> None:
    for i in range(3):
        put_job(connection, f"q{i}", "queued")
        connection.rpush(Q.queued, f"q{i}")
    assert len(scripts.get("empty")(connection, [Q.queued], [Q.prefix, 2])) == 2
    assert state(connection) == {Q.queued: ["q2"], Q.job("q2"): state(connection)[Q.job("q2")]}


def test_empty_queue(connection: redis.Redis) -> None:
    assert transitions.empty(connection, Q) == 0
    assert state(connection) == {}


def test_empty_wakes_waiters(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued", waiters=1)
    connection.rpush(Q.queued, "a")
    assert transitions.empty(connection, Q) == 1
    assert state(connection) == {Q.notify("a"): ["1"]}
