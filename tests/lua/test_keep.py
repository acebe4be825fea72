"""keep-3.lua: how long more a created or ended job is kept (rq's job.cleanup)."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import InvalidJobOperation, NoSuchJobError

from .conftest import NOW, Q, put_job, state


@pytest.mark.parametrize(
    ("status", "registry"),
    [("finished", "finished"), ("failed", "failed"), ("stopped", "failed"),
     ("canceled", "canceled"), ("skipped", "canceled")],
)  # fmt: skip
def test_keep_moves_the_expiry_of_an_ended_job_and_its_registry_score(
    connection: redis.Redis, status: str, registry: str
) -> None:
    put_job(connection, "a", status)
    key = getattr(Q, registry)
    connection.zadd(key, {"a": NOW + 5})
    transitions.keep(connection, Q, "a", 100_000, now=NOW)
    assert connection.zscore(key, "a") == NOW + 100_000
    assert 99_000 < connection.pttl(Q.job("a")) <= 100_000
    transitions.keep(connection, Q, "a", -1, now=NOW)
    assert connection.zscore(key, "a") == float("inf")
    assert connection.pttl(Q.job("a")) == -1


def test_keep_of_a_created_job_sets_only_its_expiry(connection: redis.Redis) -> None:
    put_job(connection, "a", "created")
    transitions.keep(connection, Q, "a", 5_000, now=NOW)
    assert 4_000 < connection.pttl(Q.job("a")) <= 5_000
    assert list(state(connection)) == [Q.job("a")]


@pytest.mark.parametrize("status", ["queued", "scheduled", "deferred", "started"])
def test_keep_refuses_a_job_that_waits_or_runs(connection: redis.Redis, status: str) -> None:
    put_job(connection, "a", status)
    with pytest.raises(InvalidJobOperation):
        transitions.keep(connection, Q, "a", 5_000, now=NOW)
    assert connection.pttl(Q.job("a")) == -1


def test_keep_of_a_missing_job_raises_no_such_job(connection: redis.Redis) -> None:
    with pytest.raises(NoSuchJobError):
        transitions.keep(connection, Q, "missing", 5_000, now=NOW)


@pytest.mark.parametrize("ttl", [0, -2, "soon", 1.5])
def test_keep_refuses_a_ttl_it_cannot_mean_before_writing(
    connection: redis.Redis, ttl: object
) -> None:
    put_job(connection, "a", "finished")
    before = state(connection)
    with pytest.raises(redis.ResponseError):
        transitions.keep(connection, Q, "a", ttl, now=NOW)  # type: ignore[arg-type]
    assert state(connection) == before
