"""lock-1.lua and unlock-1.lua: the scheduler lock is taken, renewed and released
only by the token that owns it."""

from __future__ import annotations

import redis

from jobq import keys, transitions

K = keys.SCHEDULER_LOCK


def test_take_renew_and_refuse(connection: redis.Redis) -> None:
    assert transitions.hold_lock(connection, K, "a", 1000) == 2
    assert connection.get(K) == b"a"
    assert 0 < connection.pttl(K) <= 1000
    assert transitions.hold_lock(connection, K, "a", 5000) == 1
    assert 1000 < connection.pttl(K) <= 5000
    assert transitions.hold_lock(connection, K, "b", 5000) == 0
    assert connection.get(K) == b"a"


def test_release_only_by_the_owner(connection: redis.Redis) -> None:
    transitions.hold_lock(connection, K, "a", 5000)
    assert transitions.release_lock(connection, K, "b") is False
    assert connection.get(K) == b"a"
    assert transitions.release_lock(connection, K, "a") is True
    assert connection.get(K) is None
    assert transitions.release_lock(connection, K, "a") is False


def test_expired_lock_can_be_taken_by_another(connection: redis.Redis) -> None:
    transitions.hold_lock(connection, K, "a", 1)
    connection.delete(K)  # what expiry does
    assert transitions.hold_lock(connection, K, "b", 5000) == 2
    assert transitions.hold_lock(connection, K, "a", 5000) == 0
