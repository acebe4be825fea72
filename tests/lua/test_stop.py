"""stop-2.lua: a running job ends at once as "stopped", in the failed registry."""

from __future__ import annotations

import pytest
import redis

from jobq import run_endings
from jobq.exceptions import InvalidJobOperation, NoSuchJobError

from .conftest import NOW, Q, put_job, state


def test_a_running_job_is_stopped_and_filed_in_failed(connection: redis.Redis) -> None:
    job = put_job(connection, "a", "started", worker="w1", attempts=1)
    connection.zadd(Q.started, {"a": NOW + 1000})
    assert run_endings.stop(connection, Q, "a") == "w1"
    assert state(connection) == {
        Q.failed: {"a": NOW + 1_000_000},
        Q.job("a"): {
            **job, "status": "stopped", "ended": str(NOW), "reason": "stopped",
            "error": "stopped by a command while it ran on w1",
        },
    }  # fmt: skip


def test_its_dependents_stay_deferred(connection: redis.Redis) -> None:
    put_job(connection, "a", "started", worker="w1")
    connection.zadd(Q.started, {"a": NOW + 1000})
    connection.sadd(Q.dependents("a"), "b")
    put_job(connection, "b", "deferred", deps='["a"]')
    connection.zadd(Q.deferred, {"b": NOW})
    run_endings.stop(connection, Q, "a")
    after = state(connection)
    assert after[Q.deferred] == {"b": NOW}
    assert after[Q.job("b")]["status"] == "deferred"


@pytest.mark.parametrize("status", ["queued", "finished", "stopped"])
def test_a_job_not_running_is_left_alone(connection: redis.Redis, status: str) -> None:
    put_job(connection, "a", status)
    before = state(connection)
    with pytest.raises(InvalidJobOperation):
        run_endings.stop(connection, Q, "a")
    assert state(connection) == before


def test_no_job_no_change(connection: redis.Redis) -> None:
    with pytest.raises(NoSuchJobError):
        run_endings.stop(connection, Q, "nope")
    assert state(connection) == {}
