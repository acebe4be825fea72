"""Every Redis key name jobq uses; nothing else formats key strings.

All keys of one queue share the hash tag ``{queue}`` so that each Lua step
touches one Redis Cluster slot. Scripts that must reach a per-job key derive it
from :attr:`QueueKeys.prefix` passed as an argument, with the same suffixes as
the methods below (``job:``, ``dependents:``, ``notify:``, ``schedule-job:``,
``schedule-runs:``, ``schedule-ended:``). Flow control's keys are derived the same
way (``flow``, ``prio``, ``qslots``, ``slots:``, ``held:``, ``unique:``; see
``jobq/lua/includes/flow.lua``): the concurrency and unique keys are per key, like
per-job keys, and the others are read only by steps that use flow control.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

NAMESPACE = "jobq"
#: set of queue names ever used
QUEUES = f"{NAMESPACE}:queues"
#: zset of worker names scored by last heartbeat (ms)
WORKERS = f"{NAMESPACE}:workers"
#: present while workers are suspended
SUSPENDED = f"{NAMESPACE}:suspended"
#: zset of queue names that hold recurring schedules
SCHEDULE_QUEUES = f"{NAMESPACE}:schedule-queues"
#: the scheduler's lock (value: owner token)
SCHEDULER_LOCK = f"{NAMESPACE}:scheduler:lock"
#: zset of rq-style cron schedulers' names scored by last heartbeat (unix seconds);
#: tagged like their records (see cron_scheduler) so one step writes both
CRON_SCHEDULERS = f"{NAMESPACE}:{{cron-schedulers}}:registry"
#: list holding at most one token; a new schedule wakes the sleeping scheduler with it
SCHEDULER_WAKE = f"{NAMESPACE}:scheduler:wake"

#: the two granularities of history buckets: (seconds per bucket, seconds kept)
HISTORY_STEPS = ((10, 3600), (60, 86400))
#: a bucket outlives the window it is read in by this much (clocks differ a little)
HISTORY_SPARE_SECONDS = 120


#: longest queue name: it is in every key of the queue, and in every worker's record
MAX_QUEUE_NAME = 128


def check_id(value: object, what: str, max_length: int = 256) -> str:
    """An id that becomes part of a key: non-empty, bounded, no white space or braces
    (braces would change the hash tag; spaces break the worker's pipe protocol)."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__} ({value!r})")
    if not value or len(value) > max_length or any(c.isspace() or c in "{}" for c in value):
        raise ValueError(
            f"{what} {value!r} must be a non-empty string of at most {max_length} characters "
            "without spaces or braces"
        )
    return value


#: the ids a caller may give a job (rq 2's rule); ids jobq makes (random hex, and
#: a schedule's runs, ``<schedule id>@<slot>``) are made in Lua or here
_JOB_ID = re.compile(r"[A-Za-z0-9_-]+")


def check_job_id(value: object) -> str:
    """A job id given by a caller: letters, digits, ``_`` and ``-``, as rq takes them."""
    job_id = check_id(value, "job_id")
    if not _JOB_ID.fullmatch(job_id):
        raise ValueError(f"job_id {job_id!r} may hold only letters, digits, '_' and '-' (as in rq)")
    return job_id


def worker(name: str) -> str:
    return f"{NAMESPACE}:worker:{name}"


def workers_history(step: int, start: int) -> str:
    """Hash: the workers alive during the ``step``-second bucket beginning at ``start``
    (unix seconds), worker name -> 1."""
    return f"{NAMESPACE}:history:workers:{step}:{start}"


def scheduler_record(name: str) -> str:
    """Hash: a named in-worker scheduler's record (pid, host, queues, heartbeat),
    expiring unless its heartbeat renews it (rq's ``RQScheduler`` birth record)."""
    return f"{NAMESPACE}:scheduler-record:{name}"


def scheduler_instance(name: str) -> str:
    """Hash: an rq-scheduler style ``Scheduler``'s record (birth, death, pid, host),
    expiring unless its heartbeat renews it."""
    return f"{NAMESPACE}:scheduler-instance:{name}"


def cron_scheduler(name: str) -> str:
    """Hash: a cron scheduler's record (host, pid, its cron jobs), expiring unless
    its heartbeat renews it; in the hash slot of :data:`CRON_SCHEDULERS`."""
    return f"{NAMESPACE}:{{cron-schedulers}}:scheduler:{name}"


def worker_command(name: str) -> str:
    """A command for one worker ("shutdown", "kill-horse"), read at its upkeep."""
    return f"{NAMESPACE}:worker:{name}:command"


def worker_stops(name: str) -> str:
    """Set: the runs one worker is asked to stop (``jobq.command.send_stop_job_command``),
    each as JSON [queue, job id], read at its upkeep."""
    return f"{NAMESPACE}:worker:{name}:stops"


@dataclass(frozen=True)
class QueueKeys:
    name: str
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        name = self.name
        if (
            not isinstance(name, str)
            or not name
            or len(name) > MAX_QUEUE_NAME
            or any(c.isspace() or c in "{}" for c in name)
        ):
            shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "..."
            raise ValueError(
                f"invalid queue name {shown}: use a non-empty name of at most {MAX_QUEUE_NAME} "
                "characters, without spaces or braces"
            )
        object.__setattr__(self, "prefix", f"{NAMESPACE}:{{{self.name}}}:")

    @property
    def queued(self) -> str:
        return self.prefix + "queued"

    @property
    def started(self) -> str:
        return self.prefix + "started"

    @property
    def scheduled(self) -> str:
        return self.prefix + "scheduled"

    @property
    def deferred(self) -> str:
        return self.prefix + "deferred"

    @property
    def finished(self) -> str:
        return self.prefix + "finished"

    @property
    def failed(self) -> str:
        return self.prefix + "failed"

    @property
    def canceled(self) -> str:
        return self.prefix + "canceled"

    def registry(self, label: str) -> str:
        """Zset of a plain registry (rq's ``BaseRegistry``): ids a program files for
        itself, scored by expiry (ms); jobq's steps never read it."""
        return f"{self.prefix}registry:{label}"

    @cached_property
    def placement(self) -> list[str]:
        """The keys of the enqueue steps, in their KEYS order (built once per queue)."""
        return [
            self.queued, self.scheduled, self.deferred, self.wake,
            self.finished, self.failed, self.canceled,
        ]  # fmt: skip

    @property
    def wake(self) -> str:
        """List holding at most one token; idle workers block on it."""
        return self.prefix + "wake"

    @property
    def scheduler_lock(self) -> str:
        """String: the name of the in-worker scheduler that queues this queue's due
        jobs (rq's per-queue scheduler lock), with a time to live its heartbeat renews."""
        return self.prefix + "scheduler-lock"

    @property
    def schedules(self) -> str:
        """Hash of recurring schedule definitions (id → JSON)."""
        return self.prefix + "schedules"

    @property
    def schedule_due(self) -> str:
        """Zset of schedule ids scored by their next slot (ms)."""
        return self.prefix + "schedule-due"

    @property
    def flow(self) -> str:
        """Hash: the queue's limits, the rate's state, flags set by flow options."""
        return self.prefix + "flow"

    @property
    def prio(self) -> str:
        """Zset of queued ids that have a priority (see includes/flow.lua)."""
        return self.prefix + "prio"

    @property
    def qslots(self) -> str:
        """Zset of ids holding one of the queue's concurrency slots, by lease deadline."""
        return self.prefix + "qslots"

    def slots(self, key: str) -> str:
        """Zset of ids holding a slot of concurrency key ``key``, by lease deadline."""
        return f"{self.prefix}slots:{key}"

    def held(self, key: str) -> str:
        """List of ids parked until a slot of concurrency key ``key`` frees."""
        return f"{self.prefix}held:{key}"

    def unique(self, key: str) -> str:
        """String: the id of the live job holding unique key ``key``."""
        return f"{self.prefix}unique:{key}"

    def history(self, step: int, start: int) -> str:
        """Hash: what the queue's jobs did in the ``step``-second bucket beginning at
        ``start`` (unix seconds); fields are described in :mod:`jobq.history`."""
        return f"{self.prefix}history:{step}:{start}"

    @property
    def history_total(self) -> str:
        """Hash: the history's fields summed since the queue's first job (never expires),
        for Prometheus counters and histograms."""
        return self.prefix + "history:total"

    @property
    def history_functions(self) -> str:
        """Set of the functions the history tracks by name (at most HISTORY_MAX_FUNCTIONS)."""
        return self.prefix + "history:functions"

    def history_keys(self, now_ms: int) -> list[str]:
        """The history KEYS of record_history and reap at ``now_ms``: the 10 s and
        1 min buckets, the totals, the tracked functions."""
        now = now_ms // 1000
        buckets = [self.history(step, now - now % step) for step, _ in HISTORY_STEPS]
        return [*buckets, self.history_total, self.history_functions]

    def every_history_key(self, now_ms: int) -> list[str]:
        """Every history key the queue may have at ``now_ms`` (each bucket not yet
        expired, a few ahead for clocks that differ): what deleting the queue deletes."""
        now, out = now_ms // 1000, [self.history_total, self.history_functions]
        for step, keep in HISTORY_STEPS:
            last = now - now % step + 3 * step
            first = now - keep - HISTORY_SPARE_SECONDS - 2 * step
            out += [self.history(step, start) for start in range(last, first, -step)]
        return out

    def job(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def dependents(self, job_id: str) -> str:
        return f"{self.prefix}dependents:{job_id}"

    def notify(self, job_id: str) -> str:
        return f"{self.prefix}notify:{job_id}"

    def schedule_job(self, schedule_id: str) -> str:
        """Hash: the job fields every run of a schedule starts from."""
        return f"{self.prefix}schedule-job:{schedule_id}"

    def schedule_runs(self, schedule_id: str) -> str:
        """Zset of a schedule's runs that may still be waiting, scored by slot (ms)."""
        return f"{self.prefix}schedule-runs:{schedule_id}"

    def schedule_ended(self, schedule_id: str) -> str:
        """String: the final definition of a schedule that fired its last run (kept a day)."""
        return f"{self.prefix}schedule-ended:{schedule_id}"


@lru_cache(maxsize=1024)
def queue_keys(name: str) -> QueueKeys:
    """The (validated, immutable) keys of queue ``name``, built once per name."""
    return QueueKeys(name)


def queue_name_of(queued_key: str) -> str | None:
    """The queue whose list of queued ids is ``queued_key``, or None for another key."""
    head, tail = f"{NAMESPACE}:{{", "}:queued"
    if not (queued_key.startswith(head) and queued_key.endswith(tail)):
        return None
    name = queued_key[len(head) : -len(tail)]
    try:
        return queue_keys(name).name
    except ValueError:
        return None
