"""set_status-8.lua: end a job that has not ended, by hand, without running it."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import InvalidJobOperation, NoSuchJobError
from jobq.status import JobStatus

from .conftest import NOW, Q, put_job, state


@pytest.mark.parametrize("where", ["queued", "scheduled", "deferred"])
def test_set_status_moves_a_waiting_job_to_the_registry_of_its_new_status(
    connection: redis.Redis, where: str
) -> None:
    job = put_job(connection, "a", where)
    if where == "queued":
        connection.rpush(Q.queued, "a", "other")
    else:
        connection.zadd(getattr(Q, where), {"a": NOW})
    transitions.set_status(connection, Q, "a", JobStatus.FINISHED, now=NOW)
    after = state(connection)
    assert after[Q.finished] == {"a": NOW + 500_000}
    assert after[Q.job("a")] == {**job, "status": "finished", "ended": str(NOW)}
    assert after.get(Q.queued, []) == (["other"] if where == "queued" else [])
    assert where == "queued" or getattr(Q, where) not in after


def test_set_status_failed_keeps_the_job_for_its_failure_ttl_with_a_reason(
    connection: redis.Redis,
) -> None:
    put_job(connection, "a", "created")
    transitions.set_status(connection, Q, "a", JobStatus.FAILED, now=NOW)
    after = state(connection)
    assert after[Q.failed] == {"a": NOW + 1_000_000}
    assert after[Q.job("a")]["reason"] == "status set to failed"
    assert connection.pttl(Q.job("a")) > 999_000


def test_set_status_leaves_dependents_waiting(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    put_job(connection, "d", "deferred", pending_deps=1)
    connection.zadd(Q.deferred, {"d": NOW})
    connection.sadd(Q.dependents("a"), "d")
    transitions.set_status(connection, Q, "a", JobStatus.CANCELED, now=NOW)
    after = state(connection)
    assert after[Q.deferred] == {"d": NOW}
    assert after[Q.dependents("a")] == {"d"}
    assert after[Q.job("d")]["status"] == "deferred"


def test_set_status_wakes_waiters(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued", waiters=1)
    connection.rpush(Q.queued, "a")
    transitions.set_status(connection, Q, "a", JobStatus.FINISHED, now=NOW)
    assert connection.lrange(Q.notify("a"), 0, -1) == [b"1"]


@pytest.mark.parametrize(
    "ended", ["started", "finished", "failed", "canceled", "stopped", "skipped"]
)
def test_set_status_refuses_a_job_that_runs_or_ended(connection: redis.Redis, ended: str) -> None:
    put_job(connection, "a", ended)
    before = state(connection)
    with pytest.raises(InvalidJobOperation):
        transitions.set_status(connection, Q, "a", JobStatus.FINISHED, now=NOW)
    assert state(connection) == before


def test_set_status_of_a_missing_job_raises_no_such_job(connection: redis.Redis) -> None:
    connection.set(Q.job("garbage"), "not a hash")
    with pytest.raises(NoSuchJobError):
        transitions.set_status(connection, Q, "missing", JobStatus.FINISHED, now=NOW)
    with pytest.raises(NoSuchJobError):
        transitions.set_status(connection, Q, "garbage", JobStatus.FINISHED, now=NOW)


@pytest.mark.parametrize("status", ["queued", "started", "scheduled", "deferred", "stopped"])
def test_set_status_refuses_a_status_that_only_its_own_steps_give(
    connection: redis.Redis, status: str
) -> None:
    put_job(connection, "a", "created")
    with pytest.raises(ValueError, match="set_status gives a job one of"):
        transitions.set_status(connection, Q, "a", JobStatus(status), now=NOW)
    assert connection.hget(Q.job("a"), "status") == b"created"


def test_set_status_script_refuses_an_unknown_status_before_writing(
    connection: redis.Redis,
) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    before = state(connection)
    keys = [Q.queued, Q.scheduled, Q.deferred, Q.finished, Q.failed, Q.canceled]
    with pytest.raises(redis.ResponseError, match="set_status takes"):
        connection.eval(
            transitions.scripts.get("set_status").source, 6, *keys, Q.prefix, "a", "started", NOW
        )
    assert state(connection) == before
