"""Redis clients for configured queues: one per distinct connection per process.

Queues that point at the same Redis share a client (and its pool) instead of
opening a connection per request, as django-rq does. The cache is keyed by
process id so a forked worker child builds its own, and it is dropped with the
parsed settings when a test overrides them. ``USE_REDIS_CACHE`` borrows the
client of a Django cache (django-redis, or Django's own ``RedisCache``), so a
project keeps one Redis configuration.
"""

from __future__ import annotations

import os
from typing import Any

import redis
from django.core.exceptions import ImproperlyConfigured
from redis.sentinel import Sentinel

from jobq import connection as core

from . import conf


def get_client(config: conf.ConnectionConfig) -> redis.Redis:
    """The shared client for ``config`` in this process."""
    clients: dict[tuple[int, str], redis.Redis] = conf.memo().setdefault("clients", {})
    key = (os.getpid(), config.cache_key)
    client = clients.get(key)
    if client is None:
        client = clients[key] = build_client(config)
    return client


def build_client(config: conf.ConnectionConfig) -> redis.Redis:
    """A new client, built the way django-rq builds it, with jobq's resilience options."""
    if config.source == "URL":
        assert config.url is not None
        extra: dict[str, Any] = {} if config.db is None else {"db": config.db}
        if config.ssl:
            extra["ssl_cert_reqs"] = config.ssl_cert_reqs
        return core.from_url(config.url, **extra)
    if config.source == "USE_REDIS_CACHE":
        assert config.cache_alias is not None
        return cache_client(config.cache_alias)
    options = core.client_options()
    if config.source == "UNIX_SOCKET_PATH":
        return redis.Redis(unix_socket_path=config.unix_socket_path, db=config.db or 0, **options)
    if config.source == "SENTINELS":
        return _sentinel_client(config, options)
    kwargs: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "db": config.db or 0,
        "username": config.username,
        "password": config.password,
        "ssl": config.ssl,
        **({"ssl_cert_reqs": config.ssl_cert_reqs} if config.ssl else {}),
        **options,
        **dict(config.client_kwargs),
    }
    return redis.Redis(**kwargs)


def _sentinel_client(config: conf.ConnectionConfig, options: dict[str, Any]) -> redis.Redis:
    kwargs: dict[str, Any] = {
        "db": config.db or 0,
        "username": config.username,
        "password": config.password,
        "socket_timeout": config.socket_timeout,
        **options,
        **dict(config.client_kwargs),
    }
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(config.sentinels), sentinel_kwargs=dict(config.sentinel_kwargs) or None, **kwargs
    )
    assert config.master_name is not None
    client: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
        config.master_name, redis_class=redis.Redis
    )
    return client


def cache_client(alias: str) -> redis.Redis:
    """The Redis client behind Django cache ``alias`` (django-redis or Django's RedisCache)."""
    from django.core.cache import InvalidCacheBackendError, caches

    try:
        cache = caches[alias]
    except InvalidCacheBackendError as e:
        raise ImproperlyConfigured(
            f"USE_REDIS_CACHE names cache {alias!r}, which settings.CACHES does not define"
        ) from e
    backend = f"{type(cache).__module__}.{type(cache).__qualname__}"
    if backend.startswith("django_redis."):
        from django_redis import get_redis_connection

        client: redis.Redis = get_redis_connection(alias)
        return client
    if backend == "django.core.cache.backends.redis.RedisCache":
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        return client
    legacy = getattr(cache, "_client", None) or getattr(cache, "get_master_client", None)
    if isinstance(legacy, redis.Redis):  # django-redis-cache
        return legacy
    if callable(legacy):
        result = legacy()
        if isinstance(result, redis.Redis):
            return result
    raise ImproperlyConfigured(
        f"USE_REDIS_CACHE names cache {alias!r}, whose backend {backend} is not a Redis cache; "
        "use django_redis.cache.RedisCache or django.core.cache.backends.redis.RedisCache"
    )
