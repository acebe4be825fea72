"""Periodic upkeep every worker does: renew its leases, reap other workers'
expired leases, queue due scheduled jobs (retries with an interval), drop
expired registry entries, and publish its own record."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import redis

from .. import defaults, keys, transitions
from ..connection import text
from ..keys import QueueKeys
from ..registry import SPECS

logger = logging.getLogger("jobq.worker")

#: told of dead workers' jobs an upkeep gave back or failed: (queue name, job ids),
#: so that hooks update what they recorded of them (Django's JobRecord)
OnReaped = Callable[[str, list[str]], None]


def reap_queues(
    connection: redis.Redis, queues: Iterable[QueueKeys], now: int, on_reaped: OnReaped | None
) -> None:
    """Give back (or fail) the jobs whose lease expired: a worker's upkeep and the
    scheduler's both sweep, so that a queue nobody serves is swept too."""
    for q in queues:
        requeued, failed = transitions.reap(connection, q, now=now)
        if requeued or failed:
            logger.warning(
                "queue %s: %d job(s) of dead workers requeued, %d failed",
                q.name,
                len(requeued),
                len(failed),
            )
            if on_reaped is not None:
                on_reaped(q.name, requeued + failed)


@dataclass
class WorkerRecord:
    name: str
    queues: list[str]
    concurrency: int
    pid: int = field(default_factory=os.getpid)
    hostname: str = field(default_factory=socket.gethostname)
    birth: int = field(default_factory=transitions.now_ms)

    def fields(
        self, state: str, running: Sequence[str], ok: int, failed: int
    ) -> dict[str, str | int]:
        return {
            "name": self.name,
            "queues": ",".join(self.queues),
            "pid": self.pid,
            "hostname": self.hostname,
            "birth": self.birth,
            "concurrency": self.concurrency,
            "state": state,
            "current_jobs": json.dumps(list(running)),
            "successful": ok,
            "failed": failed,
            "heartbeat": transitions.now_ms(),
        }


class Maintenance:
    def __init__(
        self,
        connection: redis.Redis,
        queues: Sequence[QueueKeys],
        record: WorkerRecord,
        *,
        lease_seconds: float,
        on_reaped: OnReaped | None = None,
    ) -> None:
        """``on_reaped(queue, job_ids)``: told of dead workers' jobs this upkeep gave
        back or failed, so that hooks update what they recorded of them."""
        self.on_reaped = on_reaped
        self.connection = connection
        self.queues = list(queues)
        self.record = record
        self.lease_ms = int(lease_seconds * 1000)
        self.heartbeat_every = lease_seconds / 3
        self._last_heartbeat = 0.0

    def promote_due(self) -> int:
        return sum(transitions.promote(self.connection, q) for q in self.queues)

    def renew(self, held: Mapping[str, Iterable[str]]) -> None:
        by_name = {q.name: q for q in self.queues}
        for name, ids in held.items():
            ids = list(ids)
            if ids and name in by_name:
                transitions.renew(self.connection, by_name[name], ids, self.lease_ms)

    def reap(self) -> None:
        now = transitions.now_ms()
        reap_queues(self.connection, self.queues, now, self.on_reaped)
        for q in self.queues:
            for spec in SPECS.values():
                if spec.expires:
                    self.connection.zremrangebyscore(getattr(q, spec.name), "-inf", now)

    def is_suspended(self) -> bool:
        return bool(self.connection.exists(keys.SUSPENDED))

    def take_command(self) -> str | None:
        """The command sent to this worker (:mod:`jobq.command`), read once."""
        raw = self.connection.getdel(keys.worker_command(self.record.name))
        return text(raw) if raw else None

    def heartbeat_due(self) -> bool:
        return time.monotonic() - self._last_heartbeat >= self.heartbeat_every

    def heartbeat(
        self,
        held: Mapping[str, Iterable[str]],
        state: str,
        running: Sequence[str],
        ok: int,
        failed: int,
    ) -> None:
        self._last_heartbeat = time.monotonic()
        self.renew(held)
        self.reap()
        self.publish(state, running, ok, failed)

    def publish(self, state: str, running: Sequence[str], ok: int, failed: int) -> None:
        key = keys.worker(self.record.name)
        pipe = self.connection.pipeline(transaction=False)
        pipe.hset(key, mapping=self.record.fields(state, running, ok, failed))  # type: ignore[arg-type]
        pipe.expire(key, defaults.WORKER_TTL_SECONDS)
        pipe.zadd(keys.WORKERS, {self.record.name: transitions.now_ms()})
        pipe.execute()

    def unregister(self) -> None:
        pipe = self.connection.pipeline(transaction=False)
        pipe.delete(keys.worker(self.record.name))
        pipe.zrem(keys.WORKERS, self.record.name)
        pipe.execute()


def list_workers(connection: redis.Redis) -> list[dict[str, str]]:
    """Live workers' records (stale index entries are dropped)."""
    names = [text(n) for n in connection.zrange(keys.WORKERS, 0, -1)]
    pipe = connection.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(keys.worker(name))
    out = []
    for name, raw in zip(names, pipe.execute(), strict=True):
        if raw:
            out.append({text(k): text(v) for k, v in raw.items()})
        else:
            connection.zrem(keys.WORKERS, name)
    return out
