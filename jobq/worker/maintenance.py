"""Periodic upkeep every worker does: renew its leases, reap other workers'
expired leases, queue due scheduled jobs (retries with an interval), drop
expired registry entries, and publish its own record."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from .. import defaults, keys, transitions
from ..command import parse_stop_requests
from ..connection import text
from ..exceptions import DuplicateWorkerName
from ..history import bucket_ttls
from ..keys import QueueKeys
from ..reaping import OnReaped, reap_queues
from ..registry import SPECS

logger = logging.getLogger("jobq.worker")

#: stop requests taken per upkeep tick (more wait for the next tick)
_STOPS_PER_TICK = 100


@dataclass
class WorkerRecord:
    name: str
    queues: list[str]
    concurrency: int
    pid: int = field(default_factory=os.getpid)
    hostname: str = field(default_factory=socket.gethostname)
    birth: int = field(default_factory=transitions.now_ms)
    #: this run of the worker: a name is held by one instance at a time
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)

    def fields(
        self,
        state: str,
        running: Sequence[str],
        ok: int,
        failed: int,
        held: Mapping[str, Iterable[str]] | None = None,
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
            #: every job it holds (running or fetched ahead), by queue
            "held_jobs": json.dumps({q: list(ids) for q, ids in (held or {}).items() if ids}),
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
        history: bool = defaults.HISTORY,
    ) -> None:
        """``on_reaped(queue, job_ids)``: told of dead workers' jobs this upkeep gave
        back or failed, so that hooks update what they recorded of them. ``history``:
        the worker counts itself alive in the history's buckets and samples the depth
        of its queues there."""
        self.on_reaped = on_reaped
        self.history = history
        self.connection = connection
        self.queues = list(queues)
        self.record = record
        self.lease_ms = int(lease_seconds * 1000)
        self.heartbeat_every = lease_seconds / 3
        self._last_heartbeat = 0.0
        #: (queue, job id) of runs this worker was asked to stop, not handled yet
        self.stop_requests: list[tuple[str, str]] = []

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
        reap_queues(self.connection, self.queues, now, self.on_reaped, history=self.history)
        for q in self.queues:
            for spec in SPECS.values():
                if spec.expires:
                    self.connection.zremrangebyscore(getattr(q, spec.name), "-inf", now)

    def is_suspended(self) -> bool:
        return bool(self.connection.exists(keys.SUSPENDED))

    def upkeep(
        self,
        held: Mapping[str, Iterable[str]],
        state: str,
        running: Sequence[str],
        ok: int,
        failed: int,
    ) -> None:
        """Every tick of a worker's loop: publish its record (a worker that stops
        publishing is shown as dead within seconds, its counts never lag); at each
        heartbeat, renew its leases and reap other workers' as well."""
        if self.heartbeat_due():
            self.heartbeat(held, state, running, ok, failed)
        else:
            self.publish(state, running, ok, failed, held)

    def take_command(self) -> str | None:
        """The command sent to this worker (:mod:`jobq.command`), read once; the runs
        it is asked to stop, read in the same round trip, wait in :attr:`stop_requests`."""
        pipe = self.connection.pipeline(transaction=False)
        pipe.getdel(keys.worker_command(self.record.name))
        pipe.spop(keys.worker_stops(self.record.name), _STOPS_PER_TICK)
        raw, stops = pipe.execute()
        self.stop_requests.extend(parse_stop_requests(stops or ()))
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
        self.publish(state, running, ok, failed, held)

    def claim_name(self) -> None:
        """Take the worker's name, or refuse to start while a live worker has it (as rq
        does). Live means its record has not expired: it lives WORKER_TTL_SECONDS past
        the last heartbeat, so the name of a worker that died is free that long after."""
        key = keys.worker(self.record.name)
        ttl_ms = defaults.WORKER_TTL_SECONDS * 1000
        if not transitions.claim_worker_name(self.connection, key, self.record.instance, ttl_ms):
            heartbeat = self.connection.hget(key, "heartbeat")
            raise DuplicateWorkerName(
                f"a worker named {self.record.name!r} is already running (its last heartbeat: "
                f"{text(heartbeat) if heartbeat else 'none yet'} ms); choose another --name, or "
                f"stop that worker: its name is free {defaults.WORKER_TTL_SECONDS} s after its "
                "last heartbeat"
            )

    def publish(
        self,
        state: str,
        running: Sequence[str],
        ok: int,
        failed: int,
        held: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        key = keys.worker(self.record.name)
        fields = self.record.fields(state, running, ok, failed, held)
        pipe = self.connection.pipeline(transaction=False)
        pipe.hset(key, mapping=fields)  # type: ignore[arg-type, unused-ignore]
        pipe.expire(key, defaults.WORKER_TTL_SECONDS)
        now = transitions.now_ms()
        pipe.zadd(keys.WORKERS, {self.record.name: now})
        if self.history:
            for (step, _), ttl in zip(keys.HISTORY_STEPS, bucket_ttls(), strict=True):
                alive = keys.workers_history(step, now // 1000 - now // 1000 % step)
                pipe.hset(alive, self.record.name, 1)
                pipe.expire(alive, ttl)
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


def describe_workers(connection: redis.Redis) -> list[dict[str, Any]]:
    """The workers' records for people and machines (the admin, ``jobq info``, the
    stats): ``alive`` is false once a worker missed its publications for
    :data:`~jobq.defaults.WORKER_DEAD_AFTER_SECONDS` (a worker killed with SIGKILL
    says nothing); ``silent_seconds`` since its last one; ``current_jobs`` as a list;
    ``held``: each job it holds (running or fetched ahead), with its queue and
    ``lease_until`` (ms), when a reaper gives the job back to its queue (or fails it,
    past its lives) if its worker is dead. One pipelined round trip for the leases."""
    now = transitions.now_ms()
    workers = list_workers(connection)
    pipe = connection.pipeline(transaction=False)
    asked: list[list[tuple[str, str]]] = []
    for w in workers:
        pairs = _held_pairs(w)
        for job_id, queue in pairs:
            pipe.zscore(QueueKeys(queue).started, job_id)
        asked.append(pairs)
    replies = iter(pipe.execute() if any(asked) else [])
    out: list[dict[str, Any]] = []
    for w, pairs in zip(workers, asked, strict=True):
        leases = [(job_id, queue, next(replies)) for job_id, queue in pairs]
        silent = max(0, now - _int(w.get("heartbeat"))) / 1000
        w.pop("held_jobs", None)
        out.append(
            {
                **w,
                "current_jobs": _job_ids(w.get("current_jobs")),
                "alive": silent <= defaults.WORKER_DEAD_AFTER_SECONDS,
                "silent_seconds": round(silent, 1),
                "held": [
                    {"id": job_id, "queue": queue, "lease_until": int(score)}
                    for job_id, queue, score in leases
                    if score is not None
                ],
            }
        )
    return out


def _held_pairs(w: Mapping[str, str]) -> list[tuple[str, str]]:
    """(job id, queue) of every job a worker's record says it holds; a record without
    ``held_jobs`` gives its running jobs, looked up in each of its queues."""
    try:
        held = json.loads(w.get("held_jobs") or "{}")
    except ValueError:
        held = {}
    if isinstance(held, dict) and held:
        return [(str(i), str(q)) for q, ids in held.items() if isinstance(ids, list) for i in ids]
    queues = [q for q in w.get("queues", "").split(",") if q]
    return [(i, q) for i in _job_ids(w.get("current_jobs")) for q in queues]


def _job_ids(raw: str | None) -> list[str]:
    try:
        ids = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []


def _int(raw: str | None) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0
