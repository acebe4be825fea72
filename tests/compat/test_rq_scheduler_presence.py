"""rq-scheduler's presence calls: one live ``Scheduler`` record per name, the lock
owned by the scheduler's name (taken, renewed and released only by its owner)."""

from __future__ import annotations

import pytest
import redis

from jobq.scheduler import Scheduler


def test_birth_is_refused_while_the_name_is_alive(connection: redis.Redis) -> None:
    scheduler = Scheduler(connection=connection, interval=20, name="s1")
    scheduler.register_birth()
    assert connection.hget(scheduler.key, "pid") == str(scheduler.pid).encode()
    assert connection.ttl(scheduler.key) == 30
    with pytest.raises(ValueError, match="s1"):
        Scheduler(connection=connection, name="s1").register_birth()
    scheduler.register_death()
    assert 0 < connection.ttl(scheduler.key) <= 60
    scheduler.register_birth()  # a dead one's record is replaced


def test_only_one_scheduler_holds_the_lock_and_only_it_releases(connection: redis.Redis) -> None:
    first = Scheduler(connection=connection, interval=20)
    second = Scheduler(connection=connection, interval=20)
    assert first.acquire_lock() is True
    assert connection.ttl(Scheduler.scheduler_lock_key) == 30
    assert first.acquire_lock() is True  # its own lock: renewed
    assert second.acquire_lock() is False
    second.remove_lock()
    assert connection.get(Scheduler.scheduler_lock_key) == first.name.encode()
    first.remove_lock()
    assert not connection.exists(Scheduler.scheduler_lock_key)
    assert second.acquire_lock() is True


def test_burst_run_after_acquire_lock_keeps_its_own_lock(connection: redis.Redis) -> None:
    scheduler = Scheduler(connection=connection)
    assert scheduler.acquire_lock()
    assert scheduler.run(burst=True) is True  # renewed the lock it held, then let go
    other = Scheduler(connection=connection)
    assert other.acquire_lock() is True
