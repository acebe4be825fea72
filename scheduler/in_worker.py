"""rq's in-worker scheduler (``RQScheduler``): per-queue locks, a birth record, heartbeats.

rq 2.x lets each worker started with the scheduler try to become the scheduler of
its own queues: it takes one lock per queue (holding the scheduler's name, with a
time to live), publishes a record of itself (pid, host, queues, last heartbeat)
that :meth:`RQScheduler.fetch` and ``Queue.scheduler_pid`` read back, and queues
the due jobs of the queues it holds. Heartbeats extend the locks it still holds;
a scheduler that dies leaves its locks and record to expire, so another takes its
queues over within ``interval + 60`` seconds, as in rq.

On jobq's model every lock step is compare-and-set on the owner's name
(``lock-1.lua`` / ``unlock-1.lua``): a heartbeat never revives a lock another
scheduler took since, and releasing never deletes another's lock (rq deletes
blindly). Queueing the due jobs is ``promote``, one Lua step per queue, and the
recurring schedules of the held queues fire through the same compare-and-set
steps as ``jobq scheduler``'s, so a deployment-wide ``jobq scheduler`` running
beside it never fires a slot twice.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from multiprocessing import get_context
from multiprocessing.process import BaseProcess
from typing import Any

import redis

from .. import defaults, keys, transitions
from ..connection import slot_transaction, text
from ..exceptions import SchedulerNotFound
from ..registry import ScheduledJobRegistry
from ..utils import now, utcformat, utcparse
from .firing import fire_due

logger = logging.getLogger("jobq.scheduler")


class SchedulerStatus(enum.StrEnum):
    #: running, between passes
    STARTED = "started"
    #: in the midst of queueing due jobs
    WORKING = "working"
    STOPPED = "stopped"


def _names(queues: Iterable[Any]) -> set[str]:
    return {q if isinstance(q, str) else str(q.name) for q in queues}


class RQScheduler:
    """``RQScheduler(queues, connection, interval=1, name=None)``: the scheduler of
    the given queues (names or Queue objects) for as long as it holds their locks."""

    Status = SchedulerStatus

    def __init__(
        self,
        queues: Sequence[Any],
        connection: redis.Redis,
        interval: float = 1,
        logging_level: str | int = logging.INFO,
        date_format: str | None = None,
        log_format: str | None = None,
        serializer: Any = None,
        name: str | None = None,
    ) -> None:
        """``logging_level``, ``date_format``, ``log_format``: rq's, accepted; jobq logs
        to the ``jobq.scheduler`` logger. ``serializer``: accepted; each job carries its own."""
        self._queue_names: set[str] = _names(queues)
        self._acquired_locks: set[str] = set()
        self._scheduled_job_registries: list[ScheduledJobRegistry] = []
        self.lock_acquisition_time: dt.datetime | None = None
        self.connection = connection
        self.serializer = serializer
        self.interval = interval
        self.name: str = name or uuid.uuid4().hex
        self.hostname: str = socket.gethostname()
        self.created_at: dt.datetime = now()
        #: set by register_birth (the process that runs the passes)
        self.pid: int = 0
        self.last_heartbeat: dt.datetime | None = None
        self._status = SchedulerStatus.STOPPED
        self._stop_requested = False
        self._process: BaseProcess | None = None

    def __repr__(self) -> str:
        return f"RQScheduler({self.name!r}, queues={sorted(self._queue_names)})"

    @property
    def status(self) -> SchedulerStatus:
        return self._status

    @property
    def acquired_locks(self) -> set[str]:
        return self._acquired_locks

    @property
    def key(self) -> str:
        """The key of this scheduler's record."""
        return keys.scheduler_record(self.name)

    @property
    def ttl_seconds(self) -> int:
        """How long locks and record outlive the last heartbeat (rq: interval + 60)."""
        return int(self.interval) + 60

    @classmethod
    def get_locking_key(cls, name: str) -> str:
        """The key of queue ``name``'s scheduler lock (its value: the holder's name)."""
        return keys.queue_keys(name).scheduler_lock

    # -- locks --------------------------------------------------------------------------

    @property
    def should_reacquire_locks(self) -> bool:
        """True when some queue's lock is missing and none was tried for a while."""
        if self._queue_names == self._acquired_locks:
            return False
        if self.lock_acquisition_time is None:
            return True
        waited = (dt.datetime.now() - self.lock_acquisition_time).total_seconds()
        return waited > defaults.DEFAULT_SCHEDULER_FALLBACK_PERIOD

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        """Take the free locks of this scheduler's queues; returns the names newly taken
        (a lock it already holds is renewed, not counted). With ``auto_start``, start
        the background process when some lock is held and none runs."""
        taken: set[str] = set()
        ttl_ms = self.ttl_seconds * 1000
        for name in sorted(self._queue_names):
            code = transitions.hold_lock(
                self.connection, self.get_locking_key(name), self.name, ttl_ms
            )
            if code == 2:
                logger.info("scheduler %s holds the scheduler lock of queue %s", self.name, name)
                taken.add(name)
            elif code == 0:
                self._acquired_locks.discard(name)
        self._scheduled_job_registries = []
        self._acquired_locks |= taken
        self.lock_acquisition_time = dt.datetime.now()
        running = self._process is not None and self._process.is_alive()
        if self._acquired_locks and auto_start and not running:
            self.start()
        return taken

    def release_locks(self) -> None:
        """Give up the locks still ours, so another scheduler takes the queues at once."""
        for name in sorted(self._acquired_locks):
            transitions.release_lock(self.connection, self.get_locking_key(name), self.name)
        self._acquired_locks = set()

    def prepare_registries(self, queue_names: Iterable[str] | None = None) -> None:
        """The scheduled-job registries the passes read (default: the queues held)."""
        names = list(queue_names) if queue_names else sorted(self._acquired_locks)
        self._scheduled_job_registries = [
            ScheduledJobRegistry(n, connection=self.connection) for n in names
        ]

    # -- the record ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "hostname": self.hostname,
            "pid": str(self.pid),
            "queues": ",".join(sorted(self._queue_names)),
            "created_at": utcformat(self.created_at),
            "last_heartbeat": utcformat(self.last_heartbeat or now()),
        }

    def restore(self, raw: dict[Any, Any]) -> None:
        """Read a record back; a field that does not parse raises ValueError."""
        data = {text(k): text(v) for k, v in raw.items()}
        self.name = data["name"]
        self.hostname = data.get("hostname", "")
        self.pid = int(data.get("pid") or 0)
        queues = data.get("queues", "")
        self._queue_names = set(queues.split(",")) if queues else set()
        self.created_at = utcparse(data["created_at"])
        beat = data.get("last_heartbeat")
        self.last_heartbeat = utcparse(beat) if beat else None

    def save(self) -> None:
        """Write the record, expiring ``interval + 60`` s after this write."""
        pipe = slot_transaction(self.connection, self.key)
        pipe.delete(self.key)
        pipe.hset(self.key, mapping=self.to_dict())  # type: ignore[arg-type, unused-ignore]
        pipe.expire(self.key, self.ttl_seconds)
        pipe.execute()

    def register_birth(self) -> None:
        """Publish the record with this process's pid (again after a restart: it is
        overwritten, never refused)."""
        self.pid = os.getpid()
        self.last_heartbeat = now()
        self.save()

    def register_death(self) -> bool:
        """Drop the record; whether there was one."""
        return bool(self.connection.delete(self.key))

    @classmethod
    def fetch(cls, name: str, connection: redis.Redis) -> RQScheduler:
        """The scheduler named ``name`` from its record; SchedulerNotFound when it has
        none (never started, stopped, or silent past its time to live)."""
        raw = connection.hgetall(keys.scheduler_record(name))
        if not raw:
            raise SchedulerNotFound(f"no scheduler named {name!r} is alive (no record of it)")
        scheduler = cls([], connection=connection, name=name)
        scheduler.restore(raw)
        return scheduler

    def heartbeat(self) -> None:
        """Extend the locks still ours and the record; a lock another scheduler took
        meanwhile is dropped from :attr:`acquired_locks`, not taken back."""
        self.last_heartbeat = now()
        ttl_ms = self.ttl_seconds * 1000
        for name in sorted(self._acquired_locks):
            code = transitions.hold_lock(
                self.connection, self.get_locking_key(name), self.name, ttl_ms
            )
            if code == 0:  # expired and taken by another (2: expired, free, ours again)
                logger.warning("scheduler %s lost the scheduler lock of queue %s", self.name, name)
                self._acquired_locks.discard(name)
        pipe = slot_transaction(self.connection, self.key)
        pipe.hset(self.key, "last_heartbeat", utcformat(self.last_heartbeat))
        pipe.expire(self.key, self.ttl_seconds)
        pipe.execute()

    # -- passes -------------------------------------------------------------------------

    def enqueue_scheduled_jobs(self) -> int:
        """Queue the due jobs of the queues held and fire their due recurring
        schedules; returns the number of jobs queued."""
        self._status = SchedulerStatus.WORKING
        if not self._scheduled_job_registries and self._acquired_locks:
            self.prepare_registries()
        queued = 0
        held = [keys.queue_keys(r.name) for r in self._scheduled_job_registries]
        for q in held:
            while True:
                n = transitions.promote(self.connection, q)
                queued += n
                if n < defaults.REAP_BATCH:
                    break
        if held:
            fire_due(self.connection, held, transitions.now_ms(), grace_ms=_GRACE_MS)
        self._status = SchedulerStatus.STARTED
        return queued

    # -- the background process ---------------------------------------------------------

    def start(self) -> BaseProcess:
        """Run :meth:`work` in a forked process (rq's ``Scheduler`` process)."""
        self._status = SchedulerStatus.STARTED
        process = get_context("fork").Process(target=_run, args=(self,), name="Scheduler")
        process.start()
        self._process = process
        return process

    def request_stop(self, signum: int | None = None, frame: Any = None) -> None:
        self._stop_requested = True

    def work(self) -> None:
        """The loop: record, locks, a pass and a heartbeat every ``interval``, until a
        SIGTERM/SIGINT or :meth:`request_stop`."""
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        self.register_birth()
        while not self._stop_requested:
            if self.should_reacquire_locks:
                self.acquire_locks()
            self.enqueue_scheduled_jobs()
            self.heartbeat()
            time.sleep(self.interval)
        self.stop()

    def stop(self) -> None:
        """Release the locks and drop the record."""
        logger.info("scheduler %s stopping", self.name)
        self.release_locks()
        self._status = SchedulerStatus.STOPPED
        self.register_death()


#: a scheduler this far behind a recurring schedule fires every missed slot
_GRACE_MS = int(defaults.SCHEDULER_GRACE_SECONDS * 1000)


def _run(scheduler: RQScheduler) -> None:
    logger.info(
        "scheduler for %s started, pid %d", ",".join(sorted(scheduler._queue_names)), os.getpid()
    )
    try:
        scheduler.work()
    except Exception:
        logger.exception("scheduler %s failed", scheduler.name)
        raise
    logger.info("scheduler %s stopped", scheduler.name)
