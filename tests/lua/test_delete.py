"""delete-8.lua: remove a job everywhere; its dependents are settled."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import NoSuchJobError

from .conftest import NOW, Q, put_job, state


@pytest.mark.parametrize(
    "status, where",
    [
        ("queued", "queued"), ("scheduled", "scheduled"), ("deferred", "deferred"),
        ("started", "started"), ("finished", "finished"), ("failed", "failed"),
        ("canceled", "canceled"),
    ],
)  # fmt: skip
def test_delete_removes_the_job_and_its_registry_entry(
    connection: redis.Redis, status: str, where: str
) -> None:
    put_job(connection, "a", status)
    put_job(connection, "keep", "queued")
    key = getattr(Q, where)
    if where == "queued":
        connection.rpush(key, "a", "keep")
    else:
        connection.zadd(key, {"a": NOW})
        connection.rpush(Q.queued, "keep")
    connection.rpush(Q.notify("a"), "1")
    transitions.delete(connection, Q, "a")
    after = state(connection)
    assert Q.job("a") not in after and Q.notify("a") not in after
    assert after[Q.queued] == ["keep"]
    assert where == "queued" or key not in after


def test_deleting_a_deferred_job_unregisters_it_from_its_dependencies(
    connection: redis.Redis,
) -> None:
    put_job(connection, "dep", "queued")
    put_job(connection, "a", "deferred", deps='["dep"]', pending_deps=1)
    connection.zadd(Q.deferred, {"a": NOW})
    connection.sadd(Q.dependents("dep"), "a", "b")
    transitions.delete(connection, Q, "a")
    after = state(connection)
    assert after[Q.dependents("dep")] == {"b"}
    assert Q.deferred not in after


def test_deleting_an_unfinished_job_cancels_its_dependents(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    put_job(connection, "d", "deferred", pending_deps=1)
    connection.zadd(Q.deferred, {"d": NOW})
    connection.sadd(Q.dependents("a"), "d")
    transitions.delete(connection, Q, "a")
    after = state(connection)
    assert after[Q.canceled] == {"d": NOW + 1_000_000}
    assert after[Q.job("d")]["reason"] == "dependency a did not finish"


def test_deleting_a_finished_job_releases_its_dependents(connection: redis.Redis) -> None:
    put_job(connection, "a", "finished")
    put_job(connection, "d", "deferred", pending_deps=1)
    connection.zadd(Q.deferred, {"d": NOW})
    connection.sadd(Q.dependents("a"), "d")
    transitions.delete(connection, Q, "a")
    assert state(connection)[Q.queued] == ["d"]


def test_delete_missing_job(connection: redis.Redis) -> None:
    with pytest.raises(NoSuchJobError):
        transitions.delete(connection, Q, "nope")
    assert state(connection) == {}


def test_delete_wakes_waiters(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued", waiters=2)
    connection.rpush(Q.queued, "a")
    transitions.delete(connection, Q, "a")
    assert state(connection) == {Q.notify("a"): ["1", "1"]}
    assert 0 < connection.pttl(Q.notify("a")) <= 60_000


@pytest.mark.parametrize("raw", ["{not json", "[null, 5]", '{"a": "b"}'])
def test_garbage_dependency_list_does_not_half_delete(connection: redis.Redis, raw: str) -> None:
    put_job(connection, "a", "queued", deps=raw)
    connection.rpush(Q.queued, "a")
    transitions.delete(connection, Q, "a")
    assert state(connection) == {}
