"""What a Redis server can do right now, and waiting for it: errors that pass
(unreachable, full, loading, failing over), the version check, waits for a wake
token or for replicas, the limits of one command; and what kind of client a
client is (cluster or not). Nothing here builds a client (:mod:`jobq.connection`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import redis
from redis.cluster import ClusterPipeline, RedisCluster
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

from .exceptions import ConfigurationError

logger = logging.getLogger("jobq.connection")
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


# -- what kind of client ---------------------------------------------------------------


def is_cluster(client: object) -> bool:
    """Whether ``client`` (or pipeline) talks to a Redis Cluster."""
    return isinstance(client, RedisCluster | ClusterPipeline)


def slot_transaction(client: Any, key: str) -> Any:
    """A MULTI pipeline for commands on ``key`` and keys of its hash slot. A cluster
    client sends it to the node that holds the slot: redis-py 5 has no cluster
    transactions ("transaction is deprecated in cluster mode")."""
    if isinstance(client, RedisCluster):
        node = client.get_node_from_key(key)
        return client.get_redis_connection(node).pipeline(transaction=True)
    return client.pipeline(transaction=True)


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
