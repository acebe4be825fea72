"""enqueue_now-4.lua: a scheduled or deferred job joins the queue at once."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import InvalidJobOperation, NoSuchJobError

from .conftest import Q, put_job, state


@pytest.mark.parametrize("registry", ["scheduled", "deferred"])
def test_waiting_job_is_queued(connection: redis.Redis, registry: str) -> None:
    put_job(connection, "a", registry)
    connection.zadd(getattr(Q, registry), {"a": 5})
    transitions.enqueue_now(connection, Q, "a")
    after = state(connection)
    assert after[Q.queued] == ["a"]
    assert after[Q.wake] == ["1"]
    assert Q.scheduled not in after and Q.deferred not in after
    assert after[Q.job("a")]["status"] == "queued"


def test_other_status_is_refused_and_nothing_changes(connection: redis.Redis) -> None:
    put_job(connection, "a", "started")
    connection.zadd(Q.started, {"a": 5})
    before = state(connection)
    with pytest.raises(InvalidJobOperation):
        transitions.enqueue_now(connection, Q, "a")
    assert state(connection) == before


def test_unknown_job(connection: redis.Redis) -> None:
    with pytest.raises(NoSuchJobError):
        transitions.enqueue_now(connection, Q, "ghost")
    assert state(connection) == {}
