"""push-2.lua: put an id on the queue's list (rq's push_job_id)."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import InvalidJobOperation

from .conftest import Q, put_job, state


def test_push_puts_back_a_queued_job_its_list_lost_once(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "b")
    assert transitions.push(connection, Q, "a", at_front=True)
    assert not transitions.push(connection, Q, "a")
    assert connection.lrange(Q.queued, 0, -1) == [b"a", b"b"]
    assert connection.lrange(Q.wake, 0, -1) == [b"1"]


def test_push_takes_an_id_of_no_job_at_the_back(connection: redis.Redis) -> None:
    connection.rpush(Q.queued, "b")
    assert transitions.push(connection, Q, "ghost")
    assert connection.lrange(Q.queued, 0, -1) == [b"b", b"ghost"]


@pytest.mark.parametrize(
    ("status", "fields"),
    [("finished", {}), ("started", {}), ("scheduled", {}), ("deferred", {}),
     ("created", {}), ("queued", {"pri": 5}), ("queued", {"ckey": "k"})],
)  # fmt: skip
def test_push_refuses_a_job_that_has_another_place(
    connection: redis.Redis, status: str, fields: dict[str, object]
) -> None:
    put_job(connection, "a", status, **fields)
    before = state(connection)
    with pytest.raises(InvalidJobOperation):
        transitions.push(connection, Q, "a")
    assert state(connection) == before


def test_push_refuses_an_id_whose_key_holds_garbage(connection: redis.Redis) -> None:
    connection.set(Q.job("a"), "garbage")
    with pytest.raises(InvalidJobOperation):
        transitions.push(connection, Q, "a")
    assert not connection.exists(Q.queued)
