"""rq's ``rq.connections`` helper names (jobq builds clients in :mod:`jobq.connection`)."""

from __future__ import annotations

from typing import Any

import redis


def get_connection_kwargs(connection: redis.Redis) -> dict[str, Any]:
    """The keyword arguments a client's connections are made with."""
    return dict(connection.connection_pool.connection_kwargs)
