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

A cluster client is a :class:`redis.cluster.RedisCluster`. jobq's code is typed
against :class:`redis.Redis` and uses only the commands both share; every
queue's keys live in one slot (``jobq:{queue}:...``), see docs/scaling.md.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.exceptions import (
    ClusterDownError,
    ClusterError,
    MasterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.retry import Retry
from redis.sentinel import Sentinel

from . import defaults
from .exceptions import ConfigurationError
from .timeutil import seconds

if TYPE_CHECKING:
    import redis.asyncio as aioredis

logger = logging.getLogger(__name__)
T = TypeVar("T")

MIN_VERSION = (6, 2)

#: errors that mean "Redis is (for now) not there": a restart, a Sentinel failover
#: (the old master turned replica answers READONLY), a cluster failover
#: (CLUSTERDOWN) or a queue's slot being resharded (TRYAGAIN until its keys are all
#: moved; redis-py gives up with "TTL exhausted"), a server still loading its data
#: (LOADING), a replica cut from its master (MASTERDOWN), a full server
#: (maxmemory with noeviction: OOM). Only for ``except`` clauses that need a class;
#: the decision is :func:`is_transient`, which also knows error codes without a class.
UNAVAILABLE: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ReadOnlyError,
    ClusterError,
    TryAgainError,
    SlotNotCoveredError,
    OutOfMemoryError,
    MasterDownError,
    ClusterDownError,
)

#: error codes of a Redis that is there but cannot take the command for now; a
#: script's error keeps the code of the command inside it that failed
TRANSIENT_CODES = frozenset(
    {"OOM", "READONLY", "LOADING", "BUSY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN"}
)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` means "Redis cannot serve now, it will again": the one test
    every jobq process applies before it waits and retries (with backoff, see
    :class:`Outage`) instead of failing. Anything else (a wrong type, NOPERM, a
    script's own error) is a real error."""
    if isinstance(exc, UNAVAILABLE):
        return True
    if not isinstance(exc, redis.ResponseError):
        return False
    code = getattr(exc, "status_code", None) or str(exc).split(" ", 1)[0]
    return code in TRANSIENT_CODES


class Outage:
    """How one loop of a process lives through Redis being unavailable: the first
    transient error is logged (once per outage, with what the loop does meanwhile),
    the next tries wait with exponential backoff, and the first success after it
    logs that Redis is back."""

    def __init__(self, what: str, *, first: float = 0.1, cap: float = 5.0) -> None:
        #: what waits, in the log lines: "at start", "for the scheduler", ...
        self.what = what
        self.first, self.cap = first, cap
        self.delay = first
        self.since: float | None = None

    def failed(self, exc: BaseException) -> float:
        """Note a transient error; returns how long to wait before the next try."""
        if self.since is None:
            self.since = time.monotonic()
            logger.warning(
                "Redis unavailable %s (%s); waiting, retrying with backoff", self.what, exc
            )
        else:
            logger.debug("Redis still unavailable (%s)", exc)
        delay = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return delay

    def ok(self) -> None:
        """Note a success: ends the outage, if there was one."""
        if self.since is not None:
            logger.warning(
                "Redis available again %s after %.1f s", self.what, time.monotonic() - self.since
            )
            self.since = None
            self.delay = self.first

    @property
    def ongoing(self) -> bool:
        return self.since is not None


_lock = threading.Lock()
_clients: dict[tuple[int, str], redis.Redis] = {}

#: the attribute a client built here carries its settings in (clone() rebuilds from it)
_SETTINGS_ATTR = "_jobq_settings"


def default_url() -> str:
    """The Redis URL when none is given: the environment (JOBQ_REDIS_URL, RQ_REDIS_URL,
    REDIS_URL), else the URL written in ``var/redis.url`` of the current directory (the
    demo writes the URL of the Redis it started there), else redis://localhost:6379/0."""
    for name in ("JOBQ_REDIS_URL", "RQ_REDIS_URL", "REDIS_URL"):
        value = os.environ.get(name)
        if value:
            return value
    return url_from_file(defaults.REDIS_URL_FILE) or defaults.REDIS_URL


def url_from_file(path: str | os.PathLike[str]) -> str | None:
    """The first line of ``path`` if it holds a Redis URL, else None."""
    try:
        with open(path, encoding="utf-8") as f:
            line = f.readline().strip()
    except OSError:
        return None
    return line if "://" in line else None


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


# -- settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisSettings:
    """Where Redis is and how to talk to it: what a URL or a settings dict says."""

    #: "url" (redis://, rediss://, unix://), "host", "unix", "sentinel" or "cluster"
    kind: str
    url: str | None = None
    host: str = "localhost"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    ssl_cert_reqs: str | None = None
    unix_socket_path: str | None = None
    #: Sentinel addresses (kind "sentinel") or cluster startup nodes (kind "cluster")
    nodes: tuple[tuple[str, int], ...] = ()
    master_name: str | None = None
    socket_timeout: float | None = None
    socket_connect_timeout: float | None = None
    #: extra keyword arguments for the Redis connections, and for the Sentinels
    client_kwargs: tuple[tuple[str, Any], ...] = ()
    sentinel_kwargs: tuple[tuple[str, Any], ...] = ()
    #: the URL the settings were read from, if any (not compared)
    source: str = field(default="", compare=False)


_SENTINEL_SCHEMES = {"redis+sentinel": False, "rediss+sentinel": True}
_CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}


def parse_url(url: str) -> RedisSettings:
    """Settings from a URL (see the module docstring for the forms)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in _SENTINEL_SCHEMES or scheme in _CLUSTER_SCHEMES:
        return _parse_multi_host(url, scheme)
    if scheme not in ("redis", "rediss", "unix", "valkey", "valkeys"):
        raise ConfigurationError(
            f"invalid Redis URL {url!r}: use redis://, rediss://, unix://, "
            "redis+sentinel://host:port,host:port/master_name/db or redis+cluster://host:port"
        )
    return RedisSettings("url", url=url, source=url)


def _parse_multi_host(url: str, scheme: str) -> RedisSettings:
    rest, _, query = url.split("://", 1)[1].partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, _, hosts = netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    nodes = tuple(_host_port(h, url) for h in hosts.split(",") if h)
    if not nodes:
        raise ConfigurationError(f"invalid Redis URL {url!r}: no host:port given")
    options = {k: v[-1] for k, v in parse_qs(query).items()}
    parts = [p for p in path.split("/") if p]
    common: dict[str, Any] = {
        "nodes": nodes,
        "username": unquote(username) or None,
        "password": unquote(password) or None,
        "socket_timeout": _seconds(options.pop("socket_timeout", None), url),
        "socket_connect_timeout": _seconds(options.pop("socket_connect_timeout", None), url),
        "source": url,
    }
    if scheme in _SENTINEL_SCHEMES:
        if not parts:
            raise ConfigurationError(
                f"invalid Sentinel URL {url!r}: name the master, "
                "redis+sentinel://host:port,host:port/master_name/db"
            )
        sentinel_kwargs = {
            k.removeprefix("sentinel_"): options.pop(k)
            for k in ("sentinel_username", "sentinel_password")
            if k in options
        }
        settings = RedisSettings(
            "sentinel",
            master_name=unquote(parts[0]),
            db=_db(parts[1] if len(parts) > 1 else "0", url),
            ssl=_SENTINEL_SCHEMES[scheme],
            sentinel_kwargs=tuple(sorted(sentinel_kwargs.items())),
            **common,
        )
    else:
        db = _db(parts[0] if parts else "0", url)
        if db != 0:
            raise ConfigurationError(f"invalid Cluster URL {url!r}: Redis Cluster has only db 0")
        settings = RedisSettings("cluster", ssl=_CLUSTER_SCHEMES[scheme], **common)
    if options:
        raise ConfigurationError(
            f"invalid Redis URL {url!r}: unknown option(s) {', '.join(sorted(options))}"
        )
    return settings


def _host_port(text: str, url: str) -> tuple[str, int]:
    parsed = urlsplit(f"//{text}")
    try:
        port = parsed.port
    except ValueError as e:
        raise ConfigurationError(f"invalid Redis URL {url!r}: bad port in {text!r}") from e
    if not parsed.hostname or port is None:
        raise ConfigurationError(f"invalid Redis URL {url!r}: {text!r} is not host:port")
    return parsed.hostname, port


def _db(text: str, url: str) -> int:
    if not text.isdigit():
        raise ConfigurationError(f"invalid Redis URL {url!r}: database {text!r} is not a number")
    return int(text)


def _seconds(text: str | None, url: str) -> float | None:
    try:
        return seconds(text, "a timeout")
    except ValueError as e:
        raise ConfigurationError(f"invalid Redis URL {url!r}: {text!r} is not seconds") from e


#: keys of a settings dict (django-rq's RQ_QUEUES names, plus CLUSTER)
SETTINGS_KEYS = (
    "URL", "HOST", "PORT", "DB", "USERNAME", "PASSWORD", "SSL", "SSL_CERT_REQS",
    "UNIX_SOCKET_PATH", "SENTINELS", "MASTER_NAME", "SOCKET_TIMEOUT", "CONNECTION_KWARGS",
    "SENTINEL_KWARGS", "REDIS_CLIENT_KWARGS", "CLUSTER",
)  # fmt: skip


def _int_setting(mapping: Mapping[str, Any], name: str, default: int) -> int:
    """``PORT``/``DB`` as a number or a string of one; None (an unset environment
    variable) means the default."""
    value = mapping.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ConfigurationError(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be a whole number, got {value!r}") from None
    if number < 0:
        raise ConfigurationError(f"{name} must not be negative, got {value!r}")
    return number


def parse_settings(mapping: Mapping[str, Any]) -> RedisSettings:
    """Settings from a dict with django-rq's names: ``URL``; or ``HOST``/``PORT``/``DB``/
    ``USERNAME``/``PASSWORD``/``SSL``; or ``UNIX_SOCKET_PATH``; or ``SENTINELS`` (list of
    (host, port)) with ``MASTER_NAME``, ``SOCKET_TIMEOUT``, ``CONNECTION_KWARGS`` and
    ``SENTINEL_KWARGS``. ``CLUSTER: True`` makes a URL or HOST/PORT a cluster's
    startup node. Precedence as in django-rq: URL, UNIX_SOCKET_PATH, SENTINELS, HOST."""
    unknown = [k for k in mapping if k not in SETTINGS_KEYS]
    if unknown:
        raise ConfigurationError(
            f"unknown Redis setting {unknown[0]!r}; known: {', '.join(SETTINGS_KEYS)}"
        )
    cluster = bool(mapping.get("CLUSTER", False))
    creds: dict[str, Any] = {
        "username": mapping.get("USERNAME"),
        "password": mapping.get("PASSWORD"),
    }
    kwargs = tuple(sorted(dict(mapping.get("CONNECTION_KWARGS") or {}).items()))
    timeout = mapping.get("SOCKET_TIMEOUT")
    if "URL" in mapping:
        settings = parse_url(str(mapping["URL"]))
        if cluster and settings.kind == "url":
            return _url_as_cluster(settings, kwargs, timeout)
        return replace(settings, client_kwargs=kwargs, socket_timeout=timeout)
    if "UNIX_SOCKET_PATH" in mapping and not cluster:
        return RedisSettings(
            "unix",
            unix_socket_path=str(mapping["UNIX_SOCKET_PATH"]),
            db=_int_setting(mapping, "DB", 0),
            client_kwargs=kwargs,
            socket_timeout=timeout,
            **creds,
        )
    if "SENTINELS" in mapping and not cluster:
        if not mapping.get("MASTER_NAME"):
            raise ConfigurationError("SENTINELS needs MASTER_NAME (the monitored master's name)")
        return RedisSettings(
            "sentinel",
            nodes=_pairs(mapping["SENTINELS"]),
            master_name=str(mapping["MASTER_NAME"]),
            db=_int_setting(mapping, "DB", 0),
            socket_timeout=timeout,
            ssl=bool(mapping.get("SSL", False)),
            client_kwargs=kwargs,
            sentinel_kwargs=tuple(sorted(dict(mapping.get("SENTINEL_KWARGS") or {}).items())),
            **creds,
        )
    client_kwargs = tuple(sorted(dict(mapping.get("REDIS_CLIENT_KWARGS") or {}).items()))
    ssl = bool(mapping.get("SSL", False))
    host = str(mapping.get("HOST") or "localhost")
    port = _int_setting(mapping, "PORT", 6379)
    if cluster:
        if _int_setting(mapping, "DB", 0):
            raise ConfigurationError("Redis Cluster has only db 0; remove DB or set it to 0")
        return RedisSettings(
            "cluster",
            nodes=((host, port),),
            ssl=ssl,
            ssl_cert_reqs=mapping.get("SSL_CERT_REQS"),
            client_kwargs=client_kwargs + kwargs,
            socket_timeout=timeout,
            **creds,
        )
    return RedisSettings(
        "host",
        host=host,
        port=port,
        db=_int_setting(mapping, "DB", 0),
        ssl=ssl,
        ssl_cert_reqs=mapping.get("SSL_CERT_REQS"),
        client_kwargs=client_kwargs,
        socket_timeout=timeout,
        **creds,
    )


def _pairs(raw: Any) -> tuple[tuple[str, int], ...]:
    try:
        pairs = tuple((str(host), int(port)) for host, port in raw)
    except (TypeError, ValueError) as e:
        raise ConfigurationError(
            f"SENTINELS must be a list of (host, port) pairs, e.g. [('localhost', 26379)], "
            f"got {raw!r}"
        ) from e
    if not pairs:
        raise ConfigurationError("SENTINELS is empty: list at least one (host, port)")
    return pairs


def _url_as_cluster(
    settings: RedisSettings, kwargs: tuple[tuple[str, Any], ...], timeout: float | None
) -> RedisSettings:
    url = settings.url or ""
    parsed = urlsplit(url)
    if parsed.scheme.startswith("unix"):
        raise ConfigurationError(f"CLUSTER needs a TCP URL, not {url!r}")
    db = parsed.path.strip("/")
    if db not in ("", "0"):
        raise ConfigurationError(f"Redis Cluster has only db 0, the URL {url!r} names {db}")
    return RedisSettings(
        "cluster",
        nodes=((parsed.hostname or "localhost", parsed.port or 6379),),
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        ssl=parsed.scheme in ("rediss", "valkeys"),
        client_kwargs=kwargs,
        socket_timeout=timeout,
        source=url,
    )


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


# -- what kind of client ---------------------------------------------------------------


def is_cluster(client: object) -> bool:
    """Whether ``client`` (or pipeline) talks to a Redis Cluster."""
    return isinstance(client, RedisCluster | ClusterPipeline)


def pipeline_commands(pipe: Any) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The (args, options) of each command queued in a pipeline, standalone or cluster."""
    if isinstance(pipe, ClusterPipeline):
        # redis-py >= 6 keeps them in its execution strategy, 5.x on the pipeline
        strategy = getattr(pipe, "_execution_strategy", None)
        queued = strategy.command_queue if strategy is not None else pipe.command_stack
        return [(tuple(c.args), dict(c.options)) for c in queued]
    return [(tuple(args), dict(options)) for args, options in pipe.command_stack]


def load_script_everywhere(client: Any, source: str) -> None:
    """SCRIPT LOAD on the server, or on every primary of a cluster (also through a
    cluster pipeline, which cannot queue SCRIPT LOAD)."""
    if isinstance(client, ClusterPipeline):
        for node in client.nodes_manager.nodes_cache.values():
            if node.server_type == "primary" and node.redis_connection is not None:
                node.redis_connection.script_load(source)
        return
    client.script_load(source)


#: on a cluster, how long an idle worker of several queues blocks on its first queue
#: before it looks at the others' wake tokens again
CLUSTER_POLL_SECONDS = 0.1


def wait_for_wake(client: redis.Redis, wake_keys: Sequence[str], timeout: float) -> bool:
    """Block until one of the queues' wake tokens is there (and take it), or ``timeout``.

    One BLPOP on all the keys, except on a cluster: there the keys of different
    queues are in different slots, which one command cannot span, and each slot may
    be on another node. A worker of one queue still blocks on its key; a worker of
    several takes any token already there (one non-transactional pipeline: a round
    trip per node) and then blocks on its first queue's key for at most
    :data:`CLUSTER_POLL_SECONDS`, so work in any of its queues is seen within that."""
    if not wake_keys:
        return False
    if not is_cluster(client) or len(wake_keys) == 1:
        return client.blpop(list(wake_keys), timeout=timeout) is not None
    deadline = time.monotonic() + timeout
    while True:
        pipe = client.pipeline(transaction=False)
        for key in wake_keys:
            pipe.lpop(key)
        if any(v is not None for v in pipe.execute()):
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        block = max(0.01, min(CLUSTER_POLL_SECONDS, left))
        if client.blpop([wake_keys[0]], timeout=block) is not None:
            return True


def wait_for_replicas(
    client: redis.Redis, key: str, replicas: int = 1, timeout_ms: int = 1000
) -> int:
    """Redis WAIT on the server that holds ``key`` (on a cluster, the primary of its
    slot): block until ``replicas`` replicas acknowledged every write this connection
    made before, or ``timeout_ms``. Returns how many did. What the durable enqueue
    option is built on (docs/scaling.md)."""
    if is_cluster(client):
        cluster: Any = client
        node = cluster.get_node_from_key(key)
        return int(cluster.execute_command("WAIT", replicas, timeout_ms, target_nodes=node))
    try:
        return int(client.execute_command("WAIT", replicas, timeout_ms))
    except redis.ResponseError as e:
        if "replica" not in str(e):
            raise
        # a connection still on a master turned replica (Sentinel failover): drop it
        client.connection_pool.disconnect()
        raise ReadOnlyError(f"WAIT reached a replica: {e}") from e


def check_version(connection: redis.Redis) -> tuple[int, ...]:
    try:
        info: Any = connection.info("server")
    except redis.ResponseError as e:
        if "unknown command" not in str(e).lower():
            raise
        # a server without INFO: fakeredis in a project's tests, whose Lua and
        # commands stand for a recent Redis (docs/testing with fakeredis)
        return MIN_VERSION
    if is_cluster(connection) and info and isinstance(next(iter(info.values())), dict):
        info = next(iter(info.values()))  # one reply per node: they run one version
    raw = str(info.get("redis_version", "0.0.0"))
    version = tuple(int(p) for p in raw.split(".")[:3] if p.isdigit())
    if version[:2] < MIN_VERSION:
        raise ConfigurationError(f"jobq needs Redis >= 6.2 (or Valkey); the server runs {raw}")
    return version


def retry_until_up(
    action: Callable[[], T], stopped: threading.Event | None = None, cap: float = 5.0
) -> T | None:
    """``action()``, retried with backoff while Redis is unreachable or cannot serve
    (:func:`is_transient`): a worker or scheduler started before its Redis (a reboot,
    supervisord's start order) or against a full one must not crash loop. A cluster
    client connects as it is made, so making one is such an action too (a cluster
    not formed yet raises RedisClusterException). Returns None if ``stopped`` is set
    while waiting."""
    outage = Outage("at start", cap=cap)
    while True:
        try:
            result = action()
        except (redis.RedisError, RedisClusterException) as e:
            if not (is_transient(e) or isinstance(e, RedisClusterException)):
                raise
            delay = outage.failed(e)
        else:
            outage.ok()
            return result
        if stopped is not None:
            if stopped.wait(delay):
                return None
        else:
            time.sleep(delay)


def await_server(
    connection: redis.Redis, stopped: threading.Event | None = None
) -> tuple[int, ...] | None:
    """:func:`check_version`, waiting while Redis is unreachable (:func:`retry_until_up`)."""
    return retry_until_up(lambda: check_version(connection), stopped)


#: redis-py 8 reads with this socket timeout unless the client says otherwise
_REDIS_PY_SOCKET_TIMEOUT = 5.0


def max_block_seconds(connection: redis.Redis) -> float:
    """How long one blocking command (BLPOP) may block on ``connection``: well under
    its socket timeout, past which redis-py abandons the read with a TimeoutError."""
    if is_cluster(connection):
        cluster: Any = connection
        kwargs = cluster.get_connection_kwargs()
    else:
        kwargs = getattr(getattr(connection, "connection_pool", None), "connection_kwargs", {})
    socket_timeout = kwargs.get("socket_timeout") or _REDIS_PY_SOCKET_TIMEOUT
    return max(0.01, float(socket_timeout) / 2)


#: Redis's default proto-max-bulk-len: the largest value one command may carry
DEFAULT_MAX_BULK_BYTES = 512 * 1024 * 1024


def max_bulk_bytes(connection: redis.Redis) -> int:
    """The largest value (a job's result) the server takes in one command: its
    proto-max-bulk-len (on a cluster, the first node's), or Redis's default where
    CONFIG is not allowed (an ACL user) or the reply cannot be read."""
    try:
        reply: Any = connection.config_get("proto-max-bulk-len")
    except (redis.RedisError, RedisClusterException):
        return DEFAULT_MAX_BULK_BYTES
    while isinstance(reply, dict) and reply and "proto-max-bulk-len" not in reply:
        reply = next(iter(reply.values()))  # a cluster answers per node
    raw = reply.get("proto-max-bulk-len") if isinstance(reply, dict) else None
    value = _whole_bytes(raw)
    return value if value is not None and value > 0 else DEFAULT_MAX_BULK_BYTES


def _whole_bytes(raw: object) -> int | None:
    """A whole number of bytes from a CONFIG reply, or None."""
    text_value = raw.decode() if isinstance(raw, bytes) else raw
    if isinstance(text_value, str) and text_value.isdigit():
        return int(text_value)
    return None


def text(value: object) -> str:
    """A reply (bytes from our clients, str from a user's decode_responses client) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
