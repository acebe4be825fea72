"""watch-2.lua: register a waiter, or wake the caller at once if the job already ended."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions

from .conftest import Q, put_job, state


@pytest.mark.parametrize("status", ["finished", "failed", "canceled", "stopped"])
def test_ended_job_returns_its_status(connection: redis.Redis, status: str) -> None:
    put_job(connection, "a", status)
    before = state(connection)
    assert transitions.watch(connection, Q, "a") == status
    assert state(connection) == {**before, Q.notify("a"): ["1"]}
    assert 0 < connection.pttl(Q.notify("a")) <= 60_000


def test_missing_job_returns_empty(connection: redis.Redis) -> None:
    assert transitions.watch(connection, Q, "nope") == ""
    assert state(connection) == {Q.notify("nope"): ["1"]}


@pytest.mark.parametrize("status", ["queued", "started", "scheduled", "deferred"])
def test_live_job_registers_a_waiter(connection: redis.Redis, status: str) -> None:
    job = put_job(connection, "a", status)
    assert transitions.watch(connection, Q, "a") is None
    assert transitions.watch(connection, Q, "a") is None
    assert state(connection) == {Q.job("a"): {**job, "waiters": "2"}}
