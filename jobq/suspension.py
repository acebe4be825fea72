"""rq's ``suspend``/``resume``: workers take no new jobs while suspended."""

from __future__ import annotations

import redis

from . import keys


def suspend(connection: redis.Redis, ttl: int | None = None) -> None:
    """Suspend every worker (for ``ttl`` seconds, or until :func:`resume`)."""
    connection.set(keys.SUSPENDED, "1", ex=ttl)


def resume(connection: redis.Redis) -> None:
    connection.delete(keys.SUSPENDED)


def is_suspended(connection: redis.Redis, worker: object = None) -> bool:
    return bool(connection.exists(keys.SUSPENDED))
