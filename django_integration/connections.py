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

import redis
from django.core.exceptions import ImproperlyConfigured

from jobq import connection as core

from . import conf


def get_client(config: conf.ConnectionConfig) -> redis.Redis:
    """The shared client for ``config`` in this process. A client borrowed from a
    Django cache is asked of the cache each time: the cache owns (and pools) it, and
    follows a cache reconfigured since."""
    if config.settings is None:
        return build_client(config)
    clients: dict[tuple[int, str], redis.Redis] = conf.memo().setdefault("clients", {})
    key = (os.getpid(), config.cache_key)
    client = clients.get(key)
    if client is None:
        client = clients[key] = build_client(config)
    return client


def build_client(config: conf.ConnectionConfig) -> redis.Redis:
    """A new client, through :mod:`jobq.connection` (standalone, Sentinel or Cluster),
    with jobq's resilience options."""
    if config.settings is None:
        assert config.cache_alias is not None
        return cache_client(config.cache_alias)
    overrides = dict(config.overrides)
    if config.settings.kind == "url":
        # django-rq's: a URL entry without DB gives the client db=None, which
        # redis-py reads as the URL's db, else 0
        overrides.setdefault("db", None)
    with conf.configuration_errors():
        return core.build(config.settings, **overrides)


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
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined, unused-ignore]
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
