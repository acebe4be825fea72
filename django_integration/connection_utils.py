"""django-rq's ``connection_utils`` names: Redis clients from ``RQ_QUEUES`` entries.

Clients come from :mod:`.connections` (one per distinct connection per process);
``get_redis_connection(entry)`` builds one for an entry given as a dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from django.conf import settings
from redis.sentinel import Sentinel  # noqa: F401  (django-rq exposes it here; tests patch it)

from . import conf
from .connections import get_client
from .queues import get_connection

#: the keys of an RQ_QUEUES entry that say where Redis is (django-rq's list)
CONNECTION_PARAMS = (
    "URL", "DB", "USE_REDIS_CACHE", "UNIX_SOCKET_PATH", "HOST", "PORT", "PASSWORD",
    "SENTINELS", "MASTER_NAME", "SOCKET_TIMEOUT", "SSL", "CONNECTION_KWARGS", "SSL_CERT_REQS",
)  # fmt: skip

__all__ = [
    "filter_connection_params",
    "get_connection",
    "get_connection_by_index",
    "get_redis_connection",
    "get_unique_connection_configs",
]


def get_redis_connection(config: Mapping[str, Any], use_strict_redis: bool = False) -> redis.Redis:
    """The client for one ``RQ_QUEUES`` entry given as a dict."""
    return get_client(conf.parse_queue("<given>", config).connection)


def filter_connection_params(queue_params: Mapping[str, Any]) -> dict[str, Any]:
    """The connection keys of an entry."""
    return {k: v for k, v in queue_params.items() if k in CONNECTION_PARAMS}


def get_unique_connection_configs(
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The distinct connection settings of ``RQ_QUEUES``, in queue-name order."""
    if config is None:
        config = getattr(settings, "RQ_QUEUES", None) or {}
    unique: list[dict[str, Any]] = []
    for name in sorted(config):
        params = filter_connection_params(config[name])
        if params not in unique:
            unique.append(params)
    return unique


def get_connection_by_index(index: int) -> redis.Redis:
    """The client of the ``index``-th distinct connection (see above)."""
    return get_redis_connection(get_unique_connection_configs()[int(index)])
