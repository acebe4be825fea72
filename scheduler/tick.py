"""Placeholder replaced by the scheduler implementation."""

from __future__ import annotations

from collections.abc import Callable

import redis


def scheduler_hook() -> Callable[[redis.Redis], None]:
    def tick(connection: redis.Redis) -> None:
        return None

    return tick
