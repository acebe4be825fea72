"""Durable enqueue: an enqueue returns only once Redis has made the job durable.

Redis acknowledges a write once it is in memory. With ``Queue(durable=...)`` the
enqueue's pipeline also carries ``WAIT numreplicas timeout`` (the job reached that
many replicas) and/or ``WAITAOF 1 0 timeout`` (the primary fsynced its append-only
file; Redis >= 7.2). On an older server a local fsync is accepted when the server
fsyncs every write anyway (``appendonly yes`` with ``appendfsync always``), and
refused otherwise with an error that says what to change. Still one round trip;
the cost is the replication or fsync latency (see docs/reliability.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from . import scripts
from .connection import check_version, is_cluster, pipeline_commands, text
from .exceptions import ConfigurationError, JobqError

#: WAITAOF appeared in Redis 7.2
WAITAOF_VERSION = (7, 2)


class DurabilityError(JobqError):
    """The job was written but not acknowledged as durable within the timeout."""


@dataclass(frozen=True)
class Durable:
    """What an enqueue waits for: ``replicas`` replicas (WAIT) and/or the primary's
    append-only file on disk (``fsync``), each at most ``timeout`` seconds."""

    replicas: int = 0
    fsync: bool = True
    timeout: float = 1.0

    def __post_init__(self) -> None:
        if self.replicas < 0 or self.timeout <= 0:
            raise ConfigurationError(
                f"Durable(replicas={self.replicas!r}, timeout={self.timeout!r}): replicas must "
                "be >= 0 and timeout a positive number of seconds"
            )
        if not self.replicas and not self.fsync:
            raise ConfigurationError("Durable() needs replicas >= 1 or fsync=True (or both)")


def resolve(spec: Durable | bool | None) -> Durable | None:
    """``True`` means a local fsync; ``False``/``None`` no waiting."""
    if spec is None or spec is False:
        return None
    if spec is True:
        return Durable()
    if not isinstance(spec, Durable):
        raise ConfigurationError(f"durable takes True, False or a Durable(...), not {spec!r}")
    return spec


class Waiter:
    """Adds the waiting command to an enqueue pipeline and checks its reply; decides
    once per client between WAITAOF, WAIT and a server that fsyncs every write."""

    def __init__(self, connection: redis.Redis, durable: Durable, key: str) -> None:
        """``key``: a key of the queue; on a cluster, its slot's primary is where the
        enqueue and the wait go, on one connection (WAIT counts what that connection
        wrote)."""
        self.connection = connection
        self.durable = durable
        self.key = key
        self._use_waitaof: bool | None = None

    def _decide(self, client: redis.Redis) -> bool:
        if self._use_waitaof is None:
            if not self.durable.fsync or check_version(client) >= WAITAOF_VERSION:
                self._use_waitaof = self.durable.fsync
            else:
                self._check_fsync_always(client)
                self._use_waitaof = False
        return self._use_waitaof

    def _check_fsync_always(self, client: redis.Redis) -> None:
        try:
            config = client.config_get("append*")
        except redis.ResponseError as e:
            raise ConfigurationError(
                "durable enqueue with fsync needs WAITAOF (Redis >= 7.2) or, on this older "
                f"server, CONFIG GET to check appendfsync ({e}): upgrade Redis, allow CONFIG "
                "GET, or use Durable(replicas=N, fsync=False)"
            ) from e
        values = {text(k): text(v) for k, v in config.items()}
        if values.get("appendonly") != "yes" or values.get("appendfsync") != "always":
            raise ConfigurationError(
                "durable enqueue with fsync needs WAITAOF (Redis >= 7.2); this server is older "
                f"and runs appendonly {values.get('appendonly')!r}, appendfsync "
                f"{values.get('appendfsync')!r}: set appendonly yes and appendfsync always, "
                "upgrade Redis, or use Durable(replicas=N, fsync=False)"
            )

    def _queue_wait(self, client: redis.Redis, pipe: Any) -> None:
        ms = int(self.durable.timeout * 1000)
        if self._decide(client):
            pipe.execute_command("WAITAOF", 1, self.durable.replicas, ms)
        elif self.durable.replicas:
            pipe.execute_command("WAIT", self.durable.replicas, ms)
        else:
            pipe.execute_command("PING")  # the server fsyncs each write before replying

    def _check(self, reply: Any, job_ids: list[str]) -> None:
        if isinstance(reply, bool):  # PING: nothing to wait for
            return
        if isinstance(reply, list):  # WAITAOF: [local fsynced, replicas fsynced]
            local, replicas = int(reply[0]), int(reply[1])
            ok = local >= 1 and replicas >= self.durable.replicas
        elif isinstance(reply, int):  # WAIT: replicas that acknowledged
            local, replicas = 1, reply
            ok = replicas >= self.durable.replicas
        else:
            raise DurabilityError(f"unexpected reply {reply!r} to the durability wait")
        if not ok:
            which = ", ".join(job_ids[:3]) + (" ..." if len(job_ids) > 3 else "")
            raise DurabilityError(
                f"job(s) {which} were enqueued but not made durable within "
                f"{self.durable.timeout:g} s (local fsync {local}, replicas {replicas} of "
                f"{self.durable.replicas}): they may be lost if Redis fails now; the enqueue "
                "may be retried with the same job_id"
            )

    def execute(self, pipe: Any, job_ids: list[str]) -> list[Any]:
        """Run an enqueue pipeline followed by the wait on the same connection; calls that
        met NOSCRIPT are repeated after loading, followed by the wait again. Returns the
        replies without the wait's."""
        if is_cluster(self.connection):
            return self._execute_on_cluster(pipe, job_ids)
        return self._execute_on(self.connection, pipe, job_ids)

    def _execute_on_cluster(self, pipe: Any, job_ids: list[str]) -> list[Any]:
        """The queue's commands go to its slot's primary through that node's own client,
        with the wait behind them; the others (the global index of queue names) through
        the cluster client. Replies come back in the pipeline's order."""
        cluster: Any = self.connection
        slot = cluster.keyslot(self.key)
        node_client = cluster.get_redis_connection(cluster.get_node_from_key(self.key))
        mine, others = node_client.pipeline(transaction=False), cluster.pipeline(transaction=False)
        where: list[bool] = []
        for args, options in pipeline_commands(pipe):
            here = _slot_of(cluster, args) == slot
            (mine if here else others).execute_command(*args, **options)
            where.append(here)
        from_others = iter(scripts.execute_pipeline(cluster, others) if not all(where) else [])
        try:
            from_mine = iter(self._execute_on(node_client, mine, job_ids))
        except (redis.exceptions.MovedError, redis.exceptions.AskError) as e:
            cluster.nodes_manager.initialize()  # resharded: learn the new owner
            raise UnavailableSlot(f"slot {slot} moved while enqueueing; retry: {e}") from e
        return [next(from_mine) if here else next(from_others) for here in where]

    def _execute_on(self, client: redis.Redis, pipe: Any, job_ids: list[str]) -> list[Any]:
        self._queue_wait(client, pipe)
        stack = pipeline_commands(pipe)
        results: list[Any] = pipe.execute(raise_on_error=False)
        wait_reply = results.pop()
        missing = [
            i for i, r in enumerate(results) if isinstance(r, redis.exceptions.NoScriptError)
        ]
        if missing:
            for script in scripts.SCRIPTS.values():
                client.script_load(script.source)
            retry = client.pipeline(transaction=False)
            for i in missing:
                args, options = stack[i]
                retry.execute_command(*args, **options)
            self._queue_wait(client, retry)
            again = retry.execute(raise_on_error=False)
            wait_reply = again.pop()
            for i, value in zip(missing, again, strict=True):
                results[i] = value
        for r in [*results, wait_reply]:
            if isinstance(r, Exception):
                raise r
        self._check(wait_reply, job_ids)
        return results


class UnavailableSlot(redis.ConnectionError):
    """The queue's slot moved to another node during a durable enqueue (a reshard):
    nothing is lost, the enqueue may be repeated with the same job_id."""


def _slot_of(cluster: Any, args: tuple[Any, ...]) -> int | None:
    """The cluster slot a queued command's keys are in (None: no key)."""
    try:
        return int(cluster.determine_slot(*args))
    except Exception:
        return None
