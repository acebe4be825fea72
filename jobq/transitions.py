"""One typed function per Lua transition: argument packing and reply decoding.

With :mod:`jobq.waiting` (whose wait family it re-exports), the only caller of
:mod:`jobq.scripts`; everything above speaks in job ids, queue keys and Python
values.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, TypeGuard

import redis
from redis.client import Pipeline
from redis.cluster import ClusterPipeline

from . import defaults, hooks, scripts
from .connection import is_cluster, load_script_everywhere, text
from .keys import CRON_SCHEDULERS, QUEUES, QueueKeys, cron_scheduler
from .manual_transitions import compact as compact
from .manual_transitions import keep as keep
from .manual_transitions import push as push
from .manual_transitions import settle as settle
from .waiting import (  # the wait family lives there; its names stay importable here
    drop_token_async as drop_token_async,
)
from .waiting import (
    unwatch as unwatch,
)
from .waiting import (
    unwatch_async as unwatch_async,
)
from .waiting import (
    wait_for_end as wait_for_end,
)
from .waiting import (
    wait_for_end_async as wait_for_end_async,
)
from .waiting import (
    watch as watch,
)

Fields = dict[str, Any]
#: a call given one of these is only queued (a cluster pipeline is no redis Pipeline)
_PIPELINES: tuple[type[Any], ...] = (Pipeline, ClusterPipeline)


#: client class -> whether it is a pipeline (see _is_pipeline)
_PIPELINE_CLASSES: dict[type, bool] = {}


def _is_pipeline(client: object) -> TypeGuard[Pipeline]:
    """isinstance(client, _PIPELINES), remembered per class (redis-py's classes are
    Protocols, whose isinstance check is slow)."""
    cls = type(client)
    known = _PIPELINE_CLASSES.get(cls)
    if known is None:
        known = _PIPELINE_CLASSES[cls] = isinstance(client, _PIPELINES)
    return known


def now_ms() -> int:
    return int(time.time() * 1000)


def enqueue(
    client: redis.Redis | Pipeline,
    q: QueueKeys,
    job_id: str,
    fields: Fields,
    *,
    now: int,
    due: int = 0,
    at_front: bool = False,
    ttl_ms: int = 0,
    depends_on: Sequence[str] = (),
    new_id: bool = False,
    flow: bool = False,
) -> int | str | None:
    """:func:`enqueue_job` given the job's parts one by one."""
    job = NewJob(job_id, fields, at_front, ttl_ms, new_id, due, depends_on, flow)
    return enqueue_job(client, q, job, now)


def enqueue_job(
    client: redis.Redis | Pipeline, q: QueueKeys, job: NewJobLike, now: int
) -> int | str | None:
    """Store and place one job. Returns the placement code (1 queued, 2 scheduled,
    3 deferred, 4 canceled), or the id of the live job that holds the job's unique key
    (nothing stored); when ``client`` is a pipeline the call is only queued.
    ``job.new_id``: the caller made the id at random for this job, so finding it taken
    means this enqueue already landed (redis-py resent it after a lost reply).
    ``job.flow``: its fields hold flow-control options (:mod:`jobq.flow`)."""
    args = enqueue_args(q, job, now)
    script = scripts.get("enqueue")
    if _is_pipeline(client):
        script.queue_in(client, q.placement, args)
        return None
    code = placement(script(client, q.placement, args))
    if isinstance(code, int):
        scripts.raise_for_code("enqueue", code, job.job_id)
    return code


def placement(reply: Any) -> int | str:
    """An enqueue reply: a code, or the id of the job holding the unique key."""
    return reply.decode() if isinstance(reply, bytes) else int(reply)


def enqueue_args(q: QueueKeys, job: NewJobLike, now: int) -> list[Any]:
    """The ARGV of enqueue-7.lua (its KEYS are ``q.placement``)."""
    flags = (1 if job.at_front else 0) | (2 if job.new_id else 0) | (4 if job.flow else 0)
    depends_on = job.depends_on
    args: list[Any] = [q.prefix, job.job_id, now, job.due, flags, job.ttl_ms, len(depends_on)]
    args.extend(depends_on)
    for item in job.fields.items():
        args.extend(item)
    return args


async def enqueue_async(
    client: Any, calls: Sequence[tuple[QueueKeys, list[Any]]], register: Sequence[str] = ()
) -> list[int | str | Exception]:
    """Run enqueue-7.lua once per (queue keys, :func:`enqueue_args`) call, all in one
    pipelined round trip on a ``redis.asyncio`` client; ``register``: queue names to
    add to the index of queues first. Returns each call's code, or the exception it
    met (:func:`jobq.scripts.raise_for_code` codes are returned, not raised), or the
    id of the live job holding the job's unique key."""
    script = scripts.get("enqueue")
    pipe = client.pipeline(transaction=False)
    if register:
        pipe.sadd(QUEUES, *register)
    for q, args in calls:
        pipe.execute_command("EVALSHA", script.sha, len(q.placement), *q.placement, *args)
    replies: list[Any] = list(await pipe.execute(raise_on_error=False))[1 if register else 0 :]
    missing = [i for i, r in enumerate(replies) if isinstance(r, redis.exceptions.NoScriptError)]
    if missing:  # a restarted or flushed server: load the script, send those calls again
        await client.script_load(script.source)
        retry = client.pipeline(transaction=False)
        for i in missing:
            q, args = calls[i]
            retry.execute_command("EVALSHA", script.sha, len(q.placement), *q.placement, *args)
        for i, reply in zip(missing, await retry.execute(raise_on_error=False), strict=True):
            replies[i] = reply
    return [r if isinstance(r, Exception) else placement(r) for r in replies]


class NewJobLike(Protocol):
    """What :func:`enqueue_job` and :func:`enqueue_many` read of a job (a
    :class:`jobq.queue.PreparedJob` has it)."""

    @property
    def job_id(self) -> str: ...
    @property
    def fields(self) -> Fields: ...
    @property
    def at_front(self) -> bool: ...
    @property
    def ttl_ms(self) -> int: ...
    @property
    def new_id(self) -> bool: ...
    @property
    def due(self) -> int: ...
    @property
    def depends_on(self) -> Sequence[str]: ...
    @property
    def flow(self) -> bool: ...


class NewJob(NamedTuple):
    """One job of :func:`enqueue_job` or :func:`enqueue_many`."""

    job_id: str
    fields: Fields
    at_front: bool = False
    ttl_ms: int = 0
    #: made by :func:`jobq.job.new_job_id` here: no live job can hold it, not looked up
    new_id: bool = False
    #: epoch ms it is due (0: now); enqueue_many takes only jobs due now
    due: int = 0
    #: ids of the jobs it waits for; enqueue_many takes only jobs without
    depends_on: Sequence[str] = ()
    #: its fields hold flow-control options; enqueue_many takes only jobs without
    flow: bool = False


def enqueue_many(
    client: redis.Redis | Pipeline, q: QueueKeys, jobs: Sequence[NewJobLike], *, now: int
) -> list[int] | None:
    """Store and queue jobs that are due now and have no dependencies, in one step.
    Returns a code per job (1 queued, -1 a live job holds the id: that one is not
    written); when ``client`` is a pipeline the call is only queued."""
    args: list[Any] = [q.prefix, now]
    for job in jobs:
        flags = (1 if job.at_front else 0) | (2 if job.new_id else 0)
        args += (job.job_id, flags, job.ttl_ms, 2 * len(job.fields))
        for item in job.fields.items():
            args.extend(item)
    script = scripts.get("enqueue_many")
    if _is_pipeline(client):
        script.queue_in(client, q.placement, args)
        return None
    return [int(c) for c in script(client, q.placement, args)]


def load_scripts(pipe: Pipeline, *names: str) -> None:
    """Queue a SCRIPT LOAD of each script ahead of calls added to a pipeline that the
    caller runs with a plain ``execute()``, which cannot reload on NOSCRIPT (fresh or
    restarted server). Once per pipeline batch."""
    for name in names:
        source = scripts.get(name).source
        if is_cluster(pipe):  # a cluster pipeline cannot queue SCRIPT LOAD: load it now
            load_script_everywhere(pipe, source)
        elif not any(a[:1] == ("SCRIPT LOAD",) and a[1] is source for a, _ in pipe.command_stack):
            pipe.script_load(source)


def _dequeue_call(
    q: QueueKeys, worker: str, count: int, lease_ms: int, now: int, server_clock: bool = False
) -> tuple[list[str], list[Any]]:
    args = [q.prefix, now, lease_ms, count, worker, "1" if server_clock else ""]
    return [q.queued, q.started, q.wake], args


#: what a dequeue row of two entries (id, reason) means: the id was skipped
Skipped = tuple[bytes, str]


class Taken(list[tuple[str, dict[bytes, bytes]]]):
    """The jobs a dequeue took, as (id, fields); ``held_ms``: when the queue's limits
    held back work, the milliseconds until they may let one more through (negative:
    held by the concurrency limit, which a finish may lift sooner)."""

    held_ms: int | None = None


def _taken(reply: list[Any], skipped: list[Skipped] | None = None) -> Taken:
    """Rows of jobs taken, as (id, fields); ids the step skipped (no job id, or a key
    holding no job hash: see dequeue-3.lua) go to ``skipped`` as (raw id, reason). The
    step takes only ids of UTF-8 text, so the ids taken decode."""
    taken = Taken()
    for row in reply:
        if len(row) == 1:  # the last row: work held back by the queue's limits
            taken.held_ms = int(row[0])
            continue
        raw_id = bytes(row[0])
        if len(row) == 2:
            if skipped is not None:
                skipped.append((raw_id, text(row[1])))
            continue
        it = iter(row[1:])
        fields = {
            k: (v if isinstance(v, bytes) else str(v).encode()) for k, v in zip(it, it, strict=True)
        }
        taken.append((raw_id.decode(), fields))
    return taken


def dequeue(
    client: redis.Redis,
    q: QueueKeys,
    worker: str,
    count: int,
    lease_ms: int,
    skipped: list[Skipped] | None = None,
) -> Taken:
    """Take up to ``count`` jobs with a lease; ids skipped as garbage go to ``skipped``."""
    keys, args = _dequeue_call(q, worker, count, lease_ms, now_ms())
    return _taken(scripts.get("dequeue")(client, keys, args), skipped)


def wait_and_dequeue(
    client: redis.Redis,
    wake: Sequence[str],
    q: QueueKeys,
    worker: str,
    count: int,
    lease_ms: int,
    timeout: float,
    skipped: list[Skipped] | None = None,
    woken: list[str] | None = None,
) -> Taken:
    """Block up to ``timeout`` for a wake token on any of ``wake``, then dequeue from
    ``q`` right after, in the same round trip: a woken worker has its jobs at once.
    ``woken`` receives the wake key whose token was taken, if any."""
    pipe = client.pipeline(transaction=False)
    pipe.blpop(list(wake), timeout=timeout)
    # the dequeue runs when the pop returns, a time known only to the server's clock
    latest = now_ms() + int(timeout * 1000)
    keys, args = _dequeue_call(q, worker, count, lease_ms, latest, server_clock=True)
    scripts.get("dequeue").queue_in(pipe, keys, args)
    popped, reply = scripts.execute_pipeline(client, pipe)
    if popped and woken is not None:
        woken.append(text(popped[0]))
    return _taken(reply, skipped)


def finish(
    client: redis.Redis | Pipeline, q: QueueKeys, worker: str, results: Sequence[tuple[str, bytes]]
) -> list[int] | None:
    """Record returned jobs: ``results`` is (job id, serialized result) pairs."""
    keys = [q.started, q.finished, q.queued, q.deferred, q.canceled, q.wake, q.scheduled]
    args: list[Any] = [q.prefix, now_ms(), worker]
    for job_id, value in results:
        args.extend((job_id, value))
    script = scripts.get("finish")
    if _is_pipeline(client):
        script.queue_in(client, keys, args)
        return None
    return [int(c) for c in script(client, keys, args)]


#: what finish-7.lua's code for a job says landed
FINISH_ACKS: dict[int, hooks.Acked] = {
    scripts.Finished.FINISHED: hooks.Acked.FINISHED,
    scripts.Finished.LEASE_LOST: hooks.Acked.LEASE_LOST,
}
#: what fail-7.lua's code for a job says landed
FAIL_ACKS: dict[int, hooks.Acked] = {
    scripts.Failed.FAILED: hooks.Acked.FAILED,
    scripts.Failed.RETRIED: hooks.Acked.RETRIED,
    scripts.Failed.LEASE_LOST: hooks.Acked.LEASE_LOST,
}


def fail(
    client: redis.Redis | Pipeline,
    q: QueueKeys,
    worker: str,
    failures: Sequence[tuple[str, str, str]],
) -> list[int] | None:
    """Record failed attempts: (job id, traceback text, short reason). Each job is
    retried per its Retry or moved to ``failed``; codes 1 failed, 2 retried, -2 lease lost."""
    keys = [q.started, q.failed, q.queued, q.scheduled, q.deferred, q.canceled, q.wake]
    args: list[Any] = [q.prefix, now_ms(), worker]
    for job_id, error, reason in failures:
        args.extend((job_id, error, reason))
    script = scripts.get("fail")
    if _is_pipeline(client):
        script.queue_in(client, keys, args)
        return None
    return [int(c) for c in script(client, keys, args)]


def record_history(
    client: redis.Redis | Pipeline,
    q: QueueKeys,
    at_ms: int,
    per_function: Mapping[str, Mapping[str, int]],
) -> int | None:
    """Add counts to the queue's history buckets of ``at_ms``: per function, field
    (finished, failed, retried, reaped, r<bucket>, w<bucket>) -> count. Returns 1, or
    -1 / -3 when nothing was written (see record_history-5.lua); when ``client`` is a
    pipeline the call is only queued."""
    keys = [*q.history_keys(at_ms), q.queued]
    args: list[Any] = []
    for func, fields in per_function.items():
        args += (func, len(fields))
        for item in fields.items():
            args.extend(item)
    script = scripts.get("record_history")
    if _is_pipeline(client):
        script.queue_in(client, keys, args)
        return None
    return int(script(client, keys, args))


def release(client: redis.Redis, q: QueueKeys, worker: str, job_ids: Sequence[str]) -> int:
    """Hand jobs this worker took but will not run back to the front of the queue."""
    if not job_ids:
        return 0
    return int(
        scripts.get("release")(client, [q.started, q.queued, q.wake], [q.prefix, worker, *job_ids])
    )


def renew(client: redis.Redis, q: QueueKeys, job_ids: Sequence[str], lease_ms: int) -> int:
    """Extend the leases of jobs still in ``started``, atomically, also while Redis is
    full (see renew-1.lua). Returns how many were renewed."""
    if not job_ids:
        return 0
    deadline = now_ms() + lease_ms
    return int(scripts.get("renew")(client, [q.started], [deadline, *job_ids]))


def reap(
    client: redis.Redis, q: QueueKeys, *, now: int | None = None, history: bool = False
) -> tuple[list[str], list[str]]:
    """Return expired leases to the queue (or ``failed``): (requeued ids, failed ids).
    ``history``: count them in the queue's history, and sample its depth there."""
    now = now if now is not None else now_ms()
    keys = [q.started, q.failed, q.queued, q.scheduled, q.deferred, q.canceled, q.wake]
    if history:
        keys += q.history_keys(now)
    args = [q.prefix, now, defaults.REAP_BATCH, defaults.MAX_LOST]
    requeued, failed = scripts.get("reap")(client, keys, args)
    # the step reaps only job ids (UTF-8 text, see valid_id in checks.lua)
    return [bytes(i).decode() for i in requeued], [bytes(i).decode() for i in failed]


def promote(client: redis.Redis, q: QueueKeys, *, now: int | None = None) -> int:
    """Queue scheduled jobs whose time has come."""
    args = [q.prefix, now if now is not None else now_ms(), defaults.REAP_BATCH]
    return int(scripts.get("promote")(client, [q.scheduled, q.queued, q.wake], args))


def cancel(client: redis.Redis, q: QueueKeys, job_id: str) -> None:
    keys = [q.queued, q.scheduled, q.deferred, q.started, q.canceled, q.failed, q.wake]
    code = int(scripts.get("cancel")(client, keys, [q.prefix, job_id, now_ms()]))
    scripts.raise_for_code("cancel", code, job_id)
    hooks.jobs_changed(client, q.name, [job_id])


def requeue(client: redis.Redis, q: QueueKeys, job_id: str, *, at_front: bool = False) -> None:
    keys = [q.queued, q.failed, q.canceled, q.finished, q.wake, q.scheduled]
    code = int(scripts.get("requeue")(client, keys, [q.prefix, job_id, now_ms(), int(at_front)]))
    scripts.raise_for_code("requeue", code, job_id)
    hooks.jobs_changed(client, q.name, [job_id])


def enqueue_now(client: redis.Redis, q: QueueKeys, job_id: str) -> None:
    """Queue a scheduled or deferred job at once (the admin's "enqueue now")."""
    keys = [q.scheduled, q.deferred, q.queued, q.wake]
    code = int(scripts.get("enqueue_now")(client, keys, [q.prefix, job_id, now_ms()]))
    scripts.raise_for_code("enqueue_now", code, job_id)
    hooks.jobs_changed(client, q.name, [job_id])


def _delete_keys(q: QueueKeys) -> list[str]:
    return [q.queued, q.scheduled, q.deferred, q.started, q.finished, q.failed, q.canceled, q.wake]


def delete(client: redis.Redis, q: QueueKeys, job_id: str) -> None:
    code = int(scripts.get("delete")(client, _delete_keys(q), [q.prefix, job_id, now_ms()]))
    scripts.raise_for_code("delete", code, job_id)
    hooks.jobs_changed(client, q.name, [job_id])


def delete_many(client: redis.Redis, q: QueueKeys, job_ids: Sequence[str], chunk: int = 500) -> int:
    """Delete jobs through the same step as :func:`delete` (their waiters are woken),
    pipelined; jobs already gone are skipped. Returns how many were deleted."""
    deleted: list[str] = []
    script, keys, now = scripts.get("delete"), _delete_keys(q), now_ms()
    for start in range(0, len(job_ids), chunk):
        pipe = client.pipeline(transaction=False)
        ids = job_ids[start : start + chunk]
        for job_id in ids:
            script.queue_in(pipe, keys, [q.prefix, job_id, now])
        codes = scripts.execute_pipeline(client, pipe)
        deleted += [i for i, code in zip(ids, codes, strict=True) if int(code) == 1]
    hooks.jobs_changed(client, q.name, deleted)
    return len(deleted)


def empty(client: redis.Redis, q: QueueKeys, chunk: int = 1000) -> int:
    """Delete every queued job, a chunk per atomic step; returns how many."""
    emptied: list[str] = []
    while True:
        ids = [text(i) for i in scripts.get("empty")(client, [q.queued], [q.prefix, chunk])]
        emptied += ids
        if not ids:
            hooks.jobs_changed(client, q.name, emptied)
            return len(emptied)


def save_created(
    client: redis.Redis, q: QueueKeys, job_id: str, fields: Fields, *, now: int, expiry_ms: int
) -> None:
    """Store a job made by ``Job.create`` in no registry; it expires unless enqueued."""
    args: list[Any] = [now, expiry_ms]
    for k, v in fields.items():
        args.extend((k, v))
    code = int(scripts.get("save_created")(client, [q.job(job_id)], args))
    scripts.raise_for_code("save_created", code, job_id)


def update(client: redis.Redis, q: QueueKeys, job_id: str, fields: Fields) -> None:
    """Set fields of an existing job (meta, progress)."""
    args: list[Any] = []
    for k, v in fields.items():
        args.extend((k, v))
    code = int(scripts.get("update")(client, [q.job(job_id)], args))
    scripts.raise_for_code("update", code, job_id)
    hooks.jobs_changed(client, q.name, [job_id])


# -- schedules and the scheduler lock (jobq.scheduler) ---------------------------


def store_schedule(
    client: redis.Redis,
    q: QueueKeys,
    schedule_id: str,
    definition: str,
    first_slot: int,
    template: Fields,
) -> bool:
    """Store a schedule and its run template; True when it replaced one with this id."""
    args: list[Any] = [q.prefix, schedule_id, definition, first_slot]
    for k, v in template.items():
        args.extend((k, v))
    code = int(scripts.get("schedule")(client, [q.schedules, q.schedule_due], args))
    return code == 2


def fire_schedule(
    client: redis.Redis | Pipeline,
    q: QueueKeys,
    schedule_id: str,
    *,
    rev: str,
    expected: int,
    slot: int,
    next_slot: int | None,
    now: int,
    skipped: int = 0,
    meta: bytes = b"",
    trace: str = "",
) -> tuple[int, str] | None:
    """Fire one slot if the schedule is still at ``expected`` (see fire-7.lua for codes).
    Returns (code, run id); when ``client`` is a pipeline the call is only queued."""
    keys = [q.schedules, q.schedule_due, q.queued, q.wake, q.finished, q.failed, q.canceled]
    args: list[Any] = [
        q.prefix, schedule_id, rev, expected, slot,
        -1 if next_slot is None else next_slot, now, skipped, meta, trace,
    ]  # fmt: skip
    script = scripts.get("fire")
    if _is_pipeline(client):
        script.queue_in(client, keys, args)
        return None
    return decode_fire(script(client, keys, args))


def decode_fire(reply: Any) -> tuple[scripts.Fired, str]:
    code, run = reply
    return scripts.Fired(int(code)), run.decode() if isinstance(run, bytes) else str(run)


def remove_schedule(client: redis.Redis, q: QueueKeys, schedule_id: str) -> int | None:
    """Delete a schedule and cancel its runs not yet started: how many were canceled,
    None when the schedule is unknown."""
    keys = [q.schedules, q.schedule_due, q.queued, q.scheduled, q.deferred, q.canceled, q.wake]
    code = int(scripts.get("unschedule")(client, keys, [q.prefix, schedule_id, now_ms()]))
    return None if code < 0 else code


def move_schedule(client: redis.Redis, q: QueueKeys, schedule_id: str, next_slot: int) -> bool:
    """Set a schedule's next slot; False when the schedule is unknown."""
    keys = [q.schedules, q.schedule_due]
    return int(scripts.get("reschedule")(client, keys, [schedule_id, next_slot])) == 1


def claim_worker_name(client: redis.Redis, key: str, instance: str, ttl_ms: int) -> bool:
    """Take a worker name for ``instance``; False while another live worker holds it."""
    return int(scripts.get("claim_worker")(client, [key], [instance, ttl_ms])) == 1


def register_scheduler(
    client: redis.Redis, key: str, birth: float, ttl_ms: int, fields: dict[str, str]
) -> bool:
    """Record a named scheduler's birth; False while a live one (not marked dead) has it."""
    pairs = [x for kv in fields.items() for x in kv]
    return int(scripts.get("register_scheduler")(client, [key], [birth, ttl_ms, *pairs])) == 1


def register_cron_scheduler(
    client: redis.Redis, name: str, now: float, ttl_ms: int, fields: dict[str, str]
) -> bool:
    """Register a cron scheduler and write its record; False when one of that name is
    registered already (nothing written)."""
    keys_ = [CRON_SCHEDULERS, cron_scheduler(name)]
    pairs = [x for kv in fields.items() for x in kv]
    return int(scripts.get("register_cron")(client, keys_, [name, now, ttl_ms, *pairs])) == 1


def hold_lock(client: redis.Redis, key: str, token: str, ttl_ms: int) -> int:
    """Take or renew a lock: 2 taken, 1 renewed, 0 held by another owner."""
    return int(scripts.get("lock")(client, [key], [token, ttl_ms]))


def release_lock(client: redis.Redis, key: str, token: str) -> bool:
    """Release a lock only if ``token`` still owns it."""
    return int(scripts.get("unlock")(client, [key], [token])) == 1
