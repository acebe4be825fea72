"""unwatch-2.lua: take back a waiter that gave up, so the job's end leaves nothing for it."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions

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
