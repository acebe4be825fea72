"""Huey and Dramatiq behind the enqueue half of :class:`benchmarks.systems.System`.

Each is used as its documentation sets it up, with its own defaults: Huey's
``RedisHuey`` (one ``LPUSH`` per task, results on), Dramatiq's ``RedisBroker``
with its default middleware (one ``EVALSHA`` per message). They are installed in
the bench virtualenv only (``requirements/bench.in``); where one is missing its
rows say so and the rest of the run goes on.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import redis

from .common import QUEUE
from .jobs import noop


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


class Huey:
    name = "huey"
    wait_method = "not measured"

    def client(self, url: str) -> redis.Redis:
        return redis.Redis.from_url(url)

    def queue(self, connection: redis.Redis) -> Any:
        from huey import RedisHuey

        huey = RedisHuey(QUEUE, connection_pool=connection.connection_pool)
        return huey.task(name="noop")(noop)

    def enqueue(self, task: Any) -> Any:
        return task()

    def enqueue_many(self, task: Any, n: int) -> None:
        raise NotImplementedError("Huey has no bulk enqueue")

    def counts(self, connection: redis.Redis) -> dict[str, int]:
        return {"queued": int(connection.llen(f"huey.redis.{QUEUE}"))}

    def wait(self, job: Any, timeout: float) -> None:
        raise NotImplementedError("not measured")


class Dramatiq:
    name = "dramatiq"
    wait_method = "not measured"

    def client(self, url: str) -> redis.Redis:
        return redis.Redis.from_url(url)

    def queue(self, connection: redis.Redis) -> Any:
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(client=connection)
        return dramatiq.actor(noop, broker=broker, actor_name="noop", queue_name=QUEUE)

    def enqueue(self, actor: Any) -> Any:
        return actor.send()

    def enqueue_many(self, actor: Any, n: int) -> None:
        raise NotImplementedError("not measured")

    def counts(self, connection: redis.Redis) -> dict[str, int]:
        return {"queued": int(connection.hlen(f"dramatiq:{QUEUE}.msgs"))}

    def wait(self, job: Any, timeout: float) -> None:
        raise NotImplementedError("not measured")


PEERS = {"huey": Huey(), "dramatiq": Dramatiq()}
