"""take-3.lua: lease one named queued job to a worker."""

from __future__ import annotations

import pytest
import redis

from jobq import taking
from jobq.exceptions import InvalidJobOperation, NoSuchJobError

from .conftest import NOW, Q, put_job, state

LEASE = 30_000


def test_a_queued_job_is_leased_to_the_worker(connection: redis.Redis) -> None:
    for i in ("a", "b", "c"):
        put_job(connection, i, "queued")
        connection.rpush(Q.queued, i)
    connection.expire(Q.job("b"), 100)
    assert taking.take(connection, Q, "b", "w1", LEASE, now=NOW) is taking.Taken.TAKEN
    after = state(connection)
    assert after[Q.queued] == ["a", "c"]
    assert after[Q.started] == {"b": NOW + LEASE}
    job = after[Q.job("b")]
    assert (job["status"], job["worker"], job["attempts"], job["started"]) == (
        "started", "w1", "1", str(NOW),
    )  # fmt: skip
    assert connection.ttl(Q.job("b")) == -1  # a running job does not expire


def test_taking_a_job_held_already_renews_its_lease(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    taking.take(connection, Q, "a", "w1", LEASE, now=NOW)
    assert taking.take(connection, Q, "a", "w1", LEASE, now=NOW + 5) is taking.Taken.HELD
    after = state(connection)
    assert after[Q.started] == {"a": NOW + 5 + LEASE}
    assert after[Q.job("a")]["attempts"] == "1"


def test_a_job_not_queued_is_refused_and_nothing_changes(connection: redis.Redis) -> None:
    put_job(connection, "theirs", "started", worker="w2", attempts=1)
    connection.zadd(Q.started, {"theirs": NOW})
    put_job(connection, "done", "finished")
    put_job(connection, "lost", "queued")  # says queued but is in no list
    before = state(connection)
    for job_id in ("theirs", "done", "lost"):
        with pytest.raises(InvalidJobOperation):
            taking.take(connection, Q, job_id, "w1", LEASE, now=NOW)
    with pytest.raises(NoSuchJobError):
        taking.take(connection, Q, "missing", "w1", LEASE, now=NOW)
    assert state(connection) == before


def test_a_queue_with_flow_control_is_not_served(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    connection.hset(Q.flow, "conc", 1)
    before = state(connection)
    with pytest.raises(InvalidJobOperation, match="flow control"):
        taking.take(connection, Q, "a", "w1", LEASE, now=NOW)
    assert state(connection) == before


def test_a_queue_key_of_another_kind_stops_the_step(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.set(Q.queued, "garbage")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        taking.take(connection, Q, "a", "w1", LEASE, now=NOW)
    assert state(connection) == before
