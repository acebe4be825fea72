"""register_scheduler-1.lua: one live scheduler record per name; a dead one's record
is replaced, garbage at the key is refused before any write."""

from __future__ import annotations

import pytest
import redis

from jobq import keys, transitions

K = keys.scheduler_instance("s1")


def test_live_name_is_refused_and_dead_one_replaced(connection: redis.Redis) -> None:
    assert transitions.register_scheduler(connection, K, 100.5, 5000, {"pid": "7"}) is True
    assert connection.hgetall(K) == {b"birth": b"100.5", b"pid": b"7"}
    assert 0 < connection.pttl(K) <= 5000
    assert transitions.register_scheduler(connection, K, 200, 5000, {"pid": "8"}) is False
    assert connection.hget(K, "pid") == b"7"
    connection.hset(K, "death", 150)
    assert transitions.register_scheduler(connection, K, 200, 5000, {"pid": "8"}) is True
    assert connection.hgetall(K) == {b"birth": b"200", b"pid": b"8"}


def test_garbage_at_the_key_is_refused_unchanged(connection: redis.Redis) -> None:
    connection.set(K, "garbage")
    with pytest.raises(redis.ResponseError):
        transitions.register_scheduler(connection, K, 1, 5000, {})
    assert connection.get(K) == b"garbage"
