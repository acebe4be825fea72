"""register_cron-2.lua: a cron scheduler's name enters the registry once, with its
record; garbage at either key is refused before any write."""

from __future__ import annotations

import pytest
import redis

from jobq import keys, transitions

from .conftest import state


def test_name_registered_once_with_its_record(connection: redis.Redis) -> None:
    assert transitions.register_cron_scheduler(connection, "c1", 100.5, 5000, {"pid": "7"})
    assert state(connection) == {
        keys.CRON_SCHEDULERS: {"c1": 100.5},
        keys.cron_scheduler("c1"): {"pid": "7"},
    }
    assert 0 < connection.pttl(keys.cron_scheduler("c1")) <= 5000
    before = state(connection)
    assert not transitions.register_cron_scheduler(connection, "c1", 200, 5000, {"pid": "8"})
    assert state(connection) == before


def test_garbage_is_refused_unchanged(connection: redis.Redis) -> None:
    connection.set(keys.CRON_SCHEDULERS, "garbage")
    with pytest.raises(redis.ResponseError):
        transitions.register_cron_scheduler(connection, "c1", 1, 5000, {"pid": "7"})
    assert state(connection) == {keys.CRON_SCHEDULERS: "garbage"}
    connection.delete(keys.CRON_SCHEDULERS)
    with pytest.raises(redis.ResponseError):
        transitions.register_cron_scheduler(connection, "c1", "soon", 5000, {"pid": "7"})
    assert state(connection) == {}
