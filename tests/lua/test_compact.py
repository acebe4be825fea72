"""compact-1.lua: drop the ids of jobs that are gone from the queue's list."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions

from .conftest import Q, put_job, state


def test_compact_drops_ids_without_a_job_and_keeps_the_order(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    put_job(connection, "b", "queued")
    connection.rpush(Q.queued, "gone", "a", "gone", "other-gone", "b")
    assert transitions.compact(connection, Q) == 3
    assert connection.lrange(Q.queued, 0, -1) == [b"a", b"b"]


def test_compact_of_an_empty_queue_drops_nothing(connection: redis.Redis) -> None:
    assert transitions.compact(connection, Q) == 0
    assert state(connection) == {}


def test_compact_refuses_a_queue_key_of_another_kind(connection: redis.Redis) -> None:
    connection.set(Q.queued, "garbage")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        transitions.compact(connection, Q)
    assert connection.get(Q.queued) == b"garbage"
