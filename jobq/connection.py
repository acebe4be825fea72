"""The one place a Redis client is built.

Clients are cached per process and per URL so that a forked worker child never
shares a socket with its parent, and every client gets the same resilience
settings (keepalive, connect timeout, retry with backoff on connection errors).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from . import defaults
from .exceptions import ConfigurationError

MIN_VERSION = (6, 2)

_lock = threading.Lock()
_clients: dict[tuple[int, str], redis.Redis] = {}


def default_url() -> str:
    for name in ("JOBQ_REDIS_URL", "RQ_REDIS_URL", "REDIS_URL"):
        value = os.environ.get(name)
        if value:
            return value
    return defaults.REDIS_URL


#: options a unix-socket connection does not take
_TCP_ONLY = ("socket_keepalive", "socket_keepalive_options")


def client_options(*, unix: bool = False) -> dict[str, Any]:
    """Options every jobq client shares; bytes in, bytes out."""
    options: dict[str, Any] = {
        "decode_responses": False,
        "socket_keepalive": True,
        "socket_connect_timeout": 5,
        "health_check_interval": 30,
        "retry": Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=5),
        "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
    }
    if unix:
        for name in _TCP_ONLY:
            options.pop(name, None)
    return options


def from_url(url: str, **overrides: Any) -> redis.Redis:
    """A new client for ``url`` (redis://, rediss://, unix://)."""
    try:
        options = client_options(unix=url.startswith("unix:"))
        return redis.Redis.from_url(url, **{**options, **overrides})
    except ValueError as e:
        raise ConfigurationError(f"invalid Redis URL {url!r}: {e}") from e


def get_connection(url: str | None = None) -> redis.Redis:
    """The process-wide client for ``url`` (default: env JOBQ_REDIS_URL / RQ_REDIS_URL / REDIS_URL)."""
    url = url or default_url()
    key = (os.getpid(), url)
    with _lock:
        conn = _clients.get(key)
        if conn is None:
            conn = _clients[key] = from_url(url)
        return conn


def resolve(connection: redis.Redis | None) -> redis.Redis:
    return connection if connection is not None else get_connection()


def clone(connection: redis.Redis) -> redis.Redis:
    """A client with the same server and credentials but its own pool (for forked children)."""
    kwargs = dict(connection.connection_pool.connection_kwargs)
    pool = connection.connection_pool.__class__(
        connection_class=connection.connection_pool.connection_class, **kwargs
    )
    return redis.Redis(connection_pool=pool)


def check_version(connection: redis.Redis) -> tuple[int, ...]:
    info = connection.info("server")
    raw = str(info.get("redis_version", "0.0.0"))
    version = tuple(int(p) for p in raw.split(".")[:3] if p.isdigit())
    if version[:2] < MIN_VERSION:
        raise ConfigurationError(f"jobq needs Redis >= 6.2 (or Valkey); the server runs {raw}")
    return version


#: redis-py 8 reads with this socket timeout unless the client says otherwise
_REDIS_PY_SOCKET_TIMEOUT = 5.0


def max_block_seconds(connection: redis.Redis) -> float:
    """How long one blocking command (BLPOP) may block on ``connection``: well under
    its socket timeout, past which redis-py abandons the read with a TimeoutError."""
    kwargs = getattr(getattr(connection, "connection_pool", None), "connection_kwargs", {})
    socket_timeout = kwargs.get("socket_timeout") or _REDIS_PY_SOCKET_TIMEOUT
    return max(0.01, float(socket_timeout) / 2)


def text(value: object) -> str:
    """A reply (bytes from our clients, str from a user's decode_responses client) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
