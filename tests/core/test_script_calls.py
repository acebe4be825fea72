"""Script calls on a plain client go straight to a pooled connection; a dropped
connection and any other client take redis-py's own path, and nothing is lost or
written twice."""

from __future__ import annotations

from typing import Any

import redis

from jobq import Queue


def test_a_script_call_after_its_connection_was_dropped_lands_once(
    connection: redis.Redis, redis_url: str
) -> None:
    queue = Queue("calls", connection=connection)
    first = queue.enqueue("tests.fixtures.jobs.add", 1, 2)
    killer = redis.Redis.from_url(redis_url)
    assert killer.client_kill_filter(_type="normal", skipme=True) >= 1
    second = queue.enqueue("tests.fixtures.jobs.add", 3, 4)
    assert queue.job_ids == [first.id, second.id]
    killer.close()


class _Counting(redis.Redis):
    calls: list[Any] = []

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.calls.append(args[0])
        return super().execute_command(*args, **options)


def test_a_client_subclass_keeps_redis_pys_own_path(redis_url: str) -> None:
    client = _Counting.from_url(redis_url)
    queue = Queue("calls", connection=client)
    queue.enqueue("tests.fixtures.jobs.add", 0, 0)  # a queue's first also registers it
    client.calls = []
    job = queue.enqueue("tests.fixtures.jobs.add", 1, 2)
    assert client.calls == ["EVALSHA"]
    assert job.get_status() == "queued"
    client.close()


def test_a_single_connection_client_keeps_its_one_connection(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, single_connection_client=True)
    queue = Queue("calls", connection=client)
    ids = [queue.enqueue("tests.fixtures.jobs.add", i, i).id for i in range(3)]
    assert queue.job_ids == ids
    assert len(client.connection_pool._in_use_connections) == 1
    client.close()
