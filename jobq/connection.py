"""The one place a Redis client is built: standalone, Sentinel or Cluster.

A client comes from one URL or one settings dict (django-rq's ``RQ_QUEUES``
names); nothing else in jobq constructs one. Clients are cached per process and
per URL so that a forked worker child never shares a socket with its parent,
and every client gets the same resilience settings (keepalive, connect timeout,
retry with backoff on connection errors).

URLs:

- ``redis://[[user]:password@]host:port/db``, ``rediss://...`` (TLS),
  ``unix:///path/to/redis.sock?db=0`` — one server (redis-py's own parsing);
- ``redis+sentinel://[[user]:password@]host:port[,host:port...]/master_name[/db]``
  (``rediss+sentinel://`` for TLS to the master) — the master that the Sentinels
  name, followed through failovers (``redis.sentinel.Sentinel.master_for``);
- ``redis+cluster://[[user]:password@]host:port[,host:port...][/0]``
  (``rediss+cluster://``) — a Redis Cluster (``redis.cluster.RedisCluster``);
  the nodes listed are only where discovery starts.

Query parameters of the Sentinel and Cluster forms: ``socket_timeout``,
``socket_connect_timeout`` (seconds), and for Sentinel ``sentinel_username`` /
``sentinel_password`` (credentials of the Sentinels themselves).

Reading a URL or a settings dict is :mod:`jobq.redis_settings`; what a server can
do and waiting for it, :mod:`jobq.redis_waits` (both re-exported here).

A cluster client is a :class:`redis.cluster.RedisCluster`. jobq's code is typed
against :class:`redis.Redis` and uses only the commands both share; every
queue's keys live in one slot (``jobq:{queue}:...``), see docs/scaling.md.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

from .exceptions import ConfigurationError
from .redis_settings import (
    SETTINGS_KEYS,
    RedisSettings,
    default_url,
    parse_settings,
    parse_url,
    url_from_file,
)
from .redis_waits import (
    CLUSTER_POLL_SECONDS,
    DEFAULT_MAX_BULK_BYTES,
    MIN_VERSION,
    TRANSIENT_CODES,
    UNAVAILABLE,
    Outage,
    await_server,
    check_version,
    is_cluster,
    is_transient,
    load_script_everywhere,
    max_block_seconds,
    max_bulk_bytes,
    pipeline_commands,
    retry_until_up,
    slot_transaction,
    text,
    wait_for_replicas,
    wait_for_wake,
)

if TYPE_CHECKING:
    import redis.asyncio as aioredis

logger = logging.getLogger(__name__)
T = TypeVar("T")

_lock = threading.Lock()
_clients: dict[tuple[int, str], redis.Redis] = {}

#: the attribute a client built here carries its settings in (clone() rebuilds from it)
_SETTINGS_ATTR = "_jobq_settings"


#: options a unix-socket connection does not take
_TCP_ONLY = ("socket_keepalive", "socket_keepalive_options")


def client_options(*, unix: bool = False, retry_class: Any = Retry) -> dict[str, Any]:
    """Options every jobq client shares; bytes in, bytes out. ``retry_class``:
    redis-py's Retry of the client's I/O model (``redis.asyncio.retry.Retry``)."""
    options: dict[str, Any] = {
        "decode_responses": False,
        "socket_keepalive": True,
        "socket_connect_timeout": 5,
        "health_check_interval": 30,
        "retry": retry_class(ExponentialBackoff(cap=2.0, base=0.05), retries=5),
        "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
    }
    if unix:
        for name in _TCP_ONLY:
            options.pop(name, None)
    return options


# -- building clients ----------------------------------------------------------------


@dataclass(frozen=True)
class _Flavour:
    """redis-py's classes for one I/O model: the same settings build a sync client
    or an asyncio one through the same code."""

    redis: Any
    sentinel: Any
    cluster: Any
    node: Any
    retry: Any
    #: the client class of a Sentinel-watched master
    sentinel_master: Any


_SYNC = _Flavour(redis.Redis, Sentinel, RedisCluster, ClusterNode, Retry, redis.Redis)


@functools.cache
def _async_flavour() -> _Flavour:
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.asyncio.sentinel import Sentinel as AsyncSentinel

    class SentinelMaster(aioredis.Redis):
        """Closing it closes the clients of the Sentinels it asked, too: an asyncio
        socket left open warns when its event loop is gone."""

        async def aclose(self, close_connection_pool: bool | None = None) -> None:
            await super().aclose(close_connection_pool)
            for sentinel in self.connection_pool.sentinel_manager.sentinels:  # type: ignore[attr-defined, unused-ignore]
                await sentinel.aclose()

    return _Flavour(
        aioredis.Redis,
        AsyncSentinel,
        AsyncRedisCluster,
        AsyncClusterNode,
        AsyncRetry,
        SentinelMaster,
    )


def build(settings: RedisSettings, **overrides: Any) -> redis.Redis:
    """A new client for ``settings``; ``overrides`` are redis-py keyword arguments."""
    client: redis.Redis = _build(settings, overrides, _SYNC)
    setattr(client, _SETTINGS_ATTR, (settings, overrides))
    return client


def build_async(settings: RedisSettings, **overrides: Any) -> aioredis.Redis:
    """The asyncio twin of :func:`build` (``redis.asyncio``): the same settings, the
    same resilience options, for :class:`jobq.AsyncQueue`."""
    client: aioredis.Redis = _build(settings, overrides, _async_flavour())
    return client


def _build(settings: RedisSettings, overrides: dict[str, Any], flavour: _Flavour) -> Any:
    options = client_options(
        unix=settings.kind == "unix" or (settings.url or "").startswith("unix:"),
        retry_class=flavour.retry,
    )
    if settings.socket_timeout is not None:
        options["socket_timeout"] = settings.socket_timeout
    if settings.socket_connect_timeout is not None:
        options["socket_connect_timeout"] = settings.socket_connect_timeout
    if settings.ssl_cert_reqs is not None:
        options["ssl_cert_reqs"] = settings.ssl_cert_reqs
    options.update(dict(settings.client_kwargs))
    options.update(overrides)
    if settings.kind != "url":  # redis-py's from_url takes a db override itself
        settings = replace(settings, db=int(options.pop("db", settings.db)))
    creds: dict[str, Any] = {"username": settings.username, "password": settings.password}
    if settings.kind == "url":
        assert settings.url is not None
        try:
            return flavour.redis.from_url(settings.url, **options)
        except ValueError as e:
            raise ConfigurationError(f"invalid Redis URL {settings.url!r}: {e}") from e
    if settings.kind == "unix":
        return flavour.redis(
            unix_socket_path=settings.unix_socket_path, db=settings.db, **creds, **options
        )
    if settings.kind == "host":
        return flavour.redis(
            host=settings.host, port=settings.port, db=settings.db, ssl=settings.ssl,
            **creds, **options,
        )  # fmt: skip
    if settings.kind == "sentinel":
        return _sentinel_master(settings, creds, options, flavour)
    if settings.kind == "cluster":
        return _cluster(settings, creds, options, flavour)
    raise ConfigurationError(f"unknown kind of Redis settings {settings.kind!r}")


def _sentinel_master(
    settings: RedisSettings, creds: dict[str, Any], options: dict[str, Any], flavour: _Flavour
) -> Any:
    sentinel_kwargs = {
        "socket_connect_timeout": options.get("socket_connect_timeout", 5),
        "socket_timeout": options.get("socket_connect_timeout", 5),
        **dict(settings.sentinel_kwargs),
    }
    if settings.ssl:
        options["ssl"] = True
    sentinel = flavour.sentinel(
        list(settings.nodes), sentinel_kwargs=sentinel_kwargs, db=settings.db, **creds, **options
    )
    assert settings.master_name is not None
    return sentinel.master_for(settings.master_name, redis_class=flavour.sentinel_master)


def _cluster(
    settings: RedisSettings, creds: dict[str, Any], options: dict[str, Any], flavour: _Flavour
) -> Any:
    # the cluster client follows MOVED/ASK and retries TRYAGAIN itself and, on a
    # connection error, refreshes its slot map; its retry object sets how many times
    options.pop("retry", None)
    options.pop("retry_on_error", None)
    return flavour.cluster(
        startup_nodes=[flavour.node(h, p) for h, p in settings.nodes],
        retry=flavour.retry(ExponentialBackoff(cap=2.0, base=0.05), retries=10),
        ssl=settings.ssl,
        **creds,
        **options,
    )


def from_url(url: str, **overrides: Any) -> redis.Redis:
    """A new client for ``url`` (redis://, rediss://, unix://, redis+sentinel://, redis+cluster://)."""
    return build(parse_url(url), **overrides)


def async_from_url(url: str, **overrides: Any) -> aioredis.Redis:
    """A new ``redis.asyncio`` client for ``url`` (every form :func:`from_url` takes)."""
    return build_async(parse_url(url), **overrides)


def from_settings(mapping: Mapping[str, Any], **overrides: Any) -> redis.Redis:
    """A new client for a settings dict (django-rq's RQ_QUEUES names, see :func:`parse_settings`)."""
    return build(parse_settings(mapping), **overrides)


def get_connection(url: str | None = None) -> redis.Redis:
    """The process-wide client for ``url`` (default: env JOBQ_REDIS_URL / RQ_REDIS_URL / REDIS_URL)."""
    url = url or default_url()
    key = (os.getpid(), url)
    with _lock:
        conn = _clients.get(key)
        if conn is None:
            conn = _clients[key] = from_url(url)
        return conn


#: asyncio clients by event loop, then by URL (a client belongs to the loop it was made on)
_async_clients: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def get_async_connection(url: str | None = None) -> aioredis.Redis:
    """The running event loop's ``redis.asyncio`` client for ``url`` (default as in
    :func:`get_connection`), made on first use."""
    import asyncio

    url = url or default_url()
    per_loop = _async_clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(url)
    if client is None:
        client = per_loop[url] = async_from_url(url)
    return cast("aioredis.Redis", client)


async def close_async_connections() -> None:
    """Close the running event loop's clients of :func:`get_async_connection` (an
    application closing its loop, or a test)."""
    import asyncio

    for client in _async_clients.pop(asyncio.get_running_loop(), {}).values():
        await client.aclose()


def async_twin(connection: redis.Redis) -> aioredis.Redis:
    """The running event loop's ``redis.asyncio`` client to the server of
    ``connection``, a client this module built (from a URL or settings): the same
    settings, the asyncio classes; made on first use, like :func:`get_async_connection`."""
    import asyncio

    built = getattr(connection, _SETTINGS_ATTR, None)
    if built is None:
        raise ConfigurationError(
            "jobq cannot tell where this Redis client connects to; give the AsyncQueue a "
            "redis.asyncio client (AsyncQueue(name, connection=...)) or a url="
        )
    per_loop = _async_clients.setdefault(asyncio.get_running_loop(), {})
    key = f"twin of {id(connection)}"
    client = per_loop.get(key)
    if client is None:
        settings, overrides = built
        client = per_loop[key] = build_async(settings, **overrides)
    return cast("aioredis.Redis", client)


def resolve(connection: redis.Redis | None) -> redis.Redis:
    return connection if connection is not None else get_connection()


def clone(connection: redis.Redis) -> redis.Redis:
    """A client with the same server and credentials but its own pool (for forked children)."""
    built = getattr(connection, _SETTINGS_ATTR, None)
    if built is not None:
        settings, overrides = built
        return build(settings, **overrides)
    pool = getattr(connection, "connection_pool", None)
    if pool is None or type(pool).__name__ == "SentinelConnectionPool":
        # a cluster or Sentinel client built elsewhere: redis-py's pools reset
        # themselves in a forked child (pid check), so the child may share it
        return connection
    kwargs = dict(pool.connection_kwargs)
    new_pool = pool.__class__(connection_class=pool.connection_class, **kwargs)
    return redis.Redis(connection_pool=new_pool)


__all__ = [
    "CLUSTER_POLL_SECONDS",
    "DEFAULT_MAX_BULK_BYTES",
    "MIN_VERSION",
    "SETTINGS_KEYS",
    "TRANSIENT_CODES",
    "UNAVAILABLE",
    "Outage",
    "RedisSettings",
    "async_from_url",
    "async_twin",
    "await_server",
    "build",
    "build_async",
    "check_version",
    "client_options",
    "clone",
    "close_async_connections",
    "default_url",
    "from_settings",
    "from_url",
    "get_async_connection",
    "get_connection",
    "is_cluster",
    "is_transient",
    "load_script_everywhere",
    "max_block_seconds",
    "max_bulk_bytes",
    "parse_settings",
    "parse_url",
    "pipeline_commands",
    "resolve",
    "retry_until_up",
    "slot_transaction",
    "text",
    "url_from_file",
    "wait_for_replicas",
    "wait_for_wake",
]
