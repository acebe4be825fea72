"""unwatch-2.lua: take back a waiter that gave up, so the job's end leaves nothing for it."""

from __future__ import annotations

import pytest
import redis

from jobq import scripts, transitions

from .conftest import Q, put_job, state


@pytest.mark.parametrize("status", ["queued", "started", "scheduled", "deferred"])
def test_a_live_jobs_waiter_count_goes_down_by_one(connection: redis.Redis, status: str) -> None:
    job = put_job(connection, "a", status, waiters=2)
    assert transitions.unwatch(connection, Q, "a") is True
    assert state(connection) == {Q.job("a"): {**job, "waiters": "1"}}
    assert transitions.unwatch(connection, Q, "a") is True
    del job["waiters"]
    assert state(connection) == {Q.job("a"): job}
    assert transitions.unwatch(connection, Q, "a") is False  # never below zero
    assert state(connection) == {Q.job("a"): job}


@pytest.mark.parametrize("status", ["finished", "failed", "canceled", "stopped"])
def test_an_ended_jobs_token_is_taken(connection: redis.Redis, status: str) -> None:
    job = put_job(connection, "a", status)
    connection.rpush(Q.notify("a"), "1", "1")
    assert transitions.unwatch(connection, Q, "a") is True
    assert state(connection) == {Q.job("a"): job, Q.notify("a"): ["1"]}
    assert transitions.unwatch(connection, Q, "a") is True
    assert state(connection) == {Q.job("a"): job}
    assert transitions.unwatch(connection, Q, "a") is False


def test_a_gone_job_without_tokens_changes_nothing(connection: redis.Redis) -> None:
    assert transitions.unwatch(connection, Q, "gone") is False
    assert state(connection) == {}


@pytest.mark.parametrize("bad", ["job", "notify"])
def test_keys_of_another_type_are_left_alone(connection: redis.Redis, bad: str) -> None:
    if bad == "job":
        connection.set(Q.job("a"), "garbage")
        connection.rpush(Q.notify("a"), "1")
    else:
        put_job(connection, "a", "queued", waiters=1)
        connection.set(Q.notify("a"), "garbage")
    before = state(connection)
    assert transitions.unwatch(connection, Q, "a") is False
    assert state(connection) == before


def test_a_garbage_waiter_count_is_left_alone(connection: redis.Redis) -> None:
    job = put_job(connection, "a", "queued", waiters="lots")
    assert transitions.unwatch(connection, Q, "a") is False
    assert state(connection) == {Q.job("a"): job}


# -- a wait's own token: its round trips may be sent again, each counts once ----------


def _register(connection: redis.Redis, token: str) -> None:
    connection.eval(scripts.get("watch").source, 2, Q.job("a"), Q.notify("a"), token)


def test_a_registration_sent_twice_with_one_token_counts_once(connection: redis.Redis) -> None:
    put_job(connection, "a", "started")
    _register(connection, "t1")
    _register(connection, "t1")  # redis-py gave up on the reply and sent it again
    assert connection.hget(Q.job("a"), "waiters") == b"1"
    _register(connection, "t2")  # another wait
    assert connection.hget(Q.job("a"), "waiters") == b"2"


def test_a_take_back_sent_twice_with_one_token_takes_back_once(connection: redis.Redis) -> None:
    put_job(connection, "a", "started")
    _register(connection, "t1")
    _register(connection, "t2")
    assert transitions.unwatch(connection, Q, "a", "t1") is True
    assert transitions.unwatch(connection, Q, "a", "t1") is False  # sent again: nothing
    assert connection.hget(Q.job("a"), "waiters") == b"1"  # t2's wait still counts
    assert transitions.unwatch(connection, Q, "a", "never-registered") is False
    assert connection.hget(Q.job("a"), "waiters") == b"1"


@pytest.mark.parametrize("status", ["finished", "failed", "canceled", "stopped", "skipped"])
def test_a_wait_on_an_ended_job_is_woken_at_once(connection: redis.Redis, status: str) -> None:
    put_job(connection, "a", status)
    _register(connection, "t1")
    assert connection.lrange(Q.notify("a"), 0, -1) == [b"1"]
    assert connection.hget(Q.job("a"), "waiters") is None
