"""``JobRecord`` rows: built from what jobq knows about a job, written in batches.

Every write is an upsert on ``job_id`` carrying the job's whole known state,
so rows never depend on the order in which the enqueuing request and the
worker reach the database, and a job fired by a schedule (which no request
enqueued) gets its row from the worker alone. A batch is one statement.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import redis
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobq.job import Job
from jobq.serializers import Serializer
from jobq.status import JobStatus
from jobq.worker.executor import Outcome

from . import conf
from .models import DELETED, EXPIRED, JobAttempt, JobRecord, Schedule, schedule_pk_from

logger = logging.getLogger("jobq.worker")

#: columns an upsert overwrites (everything but the key)
UPDATE_FIELDS = [
    "queue", "func", "args", "kwargs", "status", "result", "error", "traceback", "reason",
    "enqueued_at", "started_at", "ended_at", "attempts", "worker", "progress_done",
    "progress_total", "schedule",
]  # fmt: skip
#: a batch is written once it holds this many rows ...
BATCH_SIZE = 100
#: ... or once its oldest row waited this long (seconds)
MAX_DELAY = 0.5
#: rows kept while the database is unreachable; older ones are dropped beyond this
MAX_PENDING = 10_000
#: a job still waiting in its record is looked up in Redis at most this often ...
SWEEP_EVERY = 1.0
#: ... in batches of this many rows, once its row is this old (seconds): a row written
#: in a transaction whose job is sent at commit must not look expired meanwhile
SWEEP_BATCH, SWEEP_AFTER = 200, 1.0
#: statuses of a job that has not run yet (it may be deleted or expire meanwhile)
WAITING = [JobStatus.QUEUED.value, JobStatus.SCHEDULED.value, JobStatus.DEFERRED.value]
#: columns an attempt's upsert overwrites
ATTEMPT_FIELDS = ["worker", "started_at", "ended_at", "outcome", "error"]


def wanted(schedule_id: str | None) -> bool:
    """Whether ``JOBQ["RECORD"]`` asks for a row for this job."""
    mode = conf.options().record
    return mode == "all" or (mode == "scheduled" and bool(schedule_id))


def json_safe(value: Any) -> Any:
    """``value`` if JSON can hold it, else its ``repr`` (pickled results, objects)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _payload(serializer: Serializer, data: bytes | str) -> tuple[list[Any], dict[str, Any]]:
    try:
        args, kwargs = serializer.loads(data if isinstance(data, bytes) else data.encode())
    except Exception:
        return [], {}
    return json_safe(list(args)), json_safe(dict(kwargs))


def _ms(value: Any) -> dt.datetime | None:
    if value in (None, "", b"", 0):
        return None
    return dt.datetime.fromtimestamp(int(float(value)) / 1000, tz=dt.UTC)


def upsert(rows: list[JobRecord]) -> None:
    if rows:
        JobRecord.objects.using(conf.options().database).bulk_create(
            rows, update_conflicts=True, unique_fields=["job_id"], update_fields=UPDATE_FIELDS
        )


def wanted_attempts() -> bool:
    return conf.options().record != "none"


def upsert_attempts(attempts: list[JobAttempt]) -> None:
    if attempts:
        JobAttempt.objects.using(conf.options().database).bulk_create(
            attempts,
            update_conflicts=True,
            unique_fields=["job_id", "number"],
            update_fields=ATTEMPT_FIELDS,
        )


# -- rows --------------------------------------------------------------------------


def row_at_enqueue(
    job_id: str,
    queue: str,
    fields: dict[str, Any],
    serializer: Serializer,
    status: JobStatus,
    now: int,
) -> JobRecord:
    """The row of a job about to be sent to Redis at ``now`` (``fields``: its job hash)."""
    args, kwargs = _payload(serializer, fields["data"])
    return JobRecord(
        job_id=job_id,
        queue=queue,
        func=fields["func"],
        args=args,
        kwargs=kwargs,
        status=status.value,
        enqueued_at=_ms(now),
        schedule_id=schedule_pk_from(fields.get("schedule_id")),
    )


def row_from_job(job: Job, status: JobStatus) -> JobRecord:
    """The row of a job as a worker holds it (its hash as fetched at dequeue)."""
    try:
        args, kwargs = json_safe(job.args), json_safe(job.kwargs)
    except Exception:  # an unreadable payload still gets a row
        args, kwargs = [], {}
    progress = job.progress
    row = JobRecord(
        job_id=job.id,
        queue=job.origin,
        func=job.func_name,
        args=args,
        kwargs=kwargs,
        status=status.value,
        enqueued_at=job.enqueued_at or job.created_at,
        started_at=job.started_at,
        attempts=job.attempts,
        worker=job.worker_name or "",
        progress_done=progress[0] if progress else None,
        progress_total=progress[1] if progress else None,
        schedule_id=schedule_pk_from(job.schedule_id),
    )
    if failure_applies(job, status):
        row.error = _last_line(job.error_text or "")
        row.traceback = job.error_text or ""
        row.reason = job.reason or ""
    return row


def failure_applies(job: Job, status: JobStatus) -> bool:
    """Whether the job's stored error is about where it stands now: it failed (or was
    stopped), or it waits for a retry after a failed attempt. A job requeued by hand
    or running again shows no earlier run's traceback as its own."""
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        return True
    return status in (JobStatus.QUEUED, JobStatus.SCHEDULED) and job.attempts > 0


def row_now(job: Job) -> JobRecord | None:
    """The row of a job as Redis holds it now (after a change made outside a worker's
    run, or a dead executor's or worker's job given back)."""
    if not wanted(job.schedule_id) or job.status is None:
        return None
    row = row_from_job(job, job.status)
    if job.status.is_terminal:
        row.ended_at = job.ended_at
    if job.status == JobStatus.FINISHED:
        try:
            row.result = json_safe(job.return_value())
        except Exception:
            row.result = None
    return row


def attempt_of(job: Job, outcome: str, error: str = "", ended: bool = True) -> JobAttempt:
    """Attempt ``job.attempts`` of ``job``: its worker, start, end and outcome."""
    return JobAttempt(
        job_id=job.id,
        number=max(job.attempts, 1),
        worker=job.worker_name or "",
        started_at=job.started_at,
        ended_at=timezone.now() if ended else None,
        outcome=outcome[:200],
        error=_last_line(error),
    )


def lost_attempt(job: Job) -> JobAttempt | None:
    """The attempt a dead executor or worker left unfinished, as its row recorded it
    when it started; None when no start of that attempt is recorded, or its end is.

    Called by whoever learns of it first: the reaper, or the worker that takes the
    job next (which may be the reaper itself, before it told its hooks)."""
    retaken = job.status == JobStatus.STARTED
    number = job.attempts - 1 if retaken else job.attempts
    if number < 1:
        return None
    started = (
        JobRecord.objects.using(conf.options().database)
        .filter(job_id=job.id, status=JobStatus.STARTED.value, attempts=number)
        .values_list("attempts", "worker", "started_at")
        .first()
    )
    if started is None:
        return None
    number, worker, started_at = started
    return JobAttempt(
        job_id=job.id,
        number=number,
        worker=worker,
        started_at=started_at,
        ended_at=timezone.now(),
        outcome=(job.reason or "lost")[:200],
        error=_last_line(job.error_text or "") if job.reason != "worker died" else "",
    )


def row_after(job: Job, outcome: Outcome) -> JobRecord:
    """The row of a job that just returned or raised."""
    if outcome.ok:
        row = row_from_job(job, JobStatus.FINISHED)
        row.result = _result(job, outcome.result)
        row.error = row.traceback = row.reason = ""
    else:
        row = row_from_job(job, _after_failure(job))
        row.error = _last_line(outcome.error)
        row.traceback = outcome.error
        row.reason = outcome.reason[:200]
    row.ended_at = timezone.now()
    return row


def _result(job: Job, raw: bytes) -> Any:
    try:
        return json_safe(job.serializer.loads(raw))
    except Exception:
        return None


def _after_failure(job: Job) -> JobStatus:
    """Failed for good, or waiting for a retry (immediately queued, or scheduled)."""
    if job.attempts >= job.max_attempts:
        return JobStatus.FAILED
    return JobStatus.SCHEDULED if job.get_retry_interval() > 0 else JobStatus.QUEUED


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:1000] if lines else ""


# -- batches -------------------------------------------------------------------------


class RecordWriter:
    """Collects rows (the newest state of each job wins) and writes them as one upsert."""

    def __init__(self, batch_size: int = BATCH_SIZE, max_delay: float = MAX_DELAY) -> None:
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.pending: dict[str, JobRecord] = {}
        self.attempts: dict[tuple[str, int], JobAttempt] = {}
        #: schedule pk -> runs started, latest start and next slot, since the last flush
        self.runs: Counter[int] = Counter()
        self.last_run: dict[int, dt.datetime] = {}
        self.next_run: dict[int, dt.datetime | None] = {}
        self.skipped: dict[int, int] = {}
        self._since = 0.0

    def add(self, row: JobRecord) -> None:
        if not self.pending:
            self._since = time.monotonic()
        self.pending.pop(row.job_id, None)
        self.pending[row.job_id] = row
        if len(self.pending) > MAX_PENDING:
            dropped = next(iter(self.pending))
            del self.pending[dropped]
            logger.warning("job record of %s dropped: the database is not keeping up", dropped)

    def add_attempt(self, attempt: JobAttempt | None) -> None:
        if attempt is not None and wanted_attempts():
            self.attempts[(attempt.job_id, attempt.number)] = attempt

    def count_run(
        self,
        schedule_pk: int,
        started: dt.datetime,
        next_run: dt.datetime | None = None,
        skipped: int | None = None,
    ) -> None:
        self.runs[schedule_pk] += 1
        self.last_run[schedule_pk] = max(started, self.last_run.get(schedule_pk, started))
        self.next_run[schedule_pk] = next_run
        if skipped is not None:
            self.skipped[schedule_pk] = max(skipped, self.skipped.get(schedule_pk, 0))

    def due(self) -> bool:
        if not self.pending:
            return bool(self.runs or self.attempts)
        return (
            len(self.pending) >= self.batch_size or time.monotonic() - self._since >= self.max_delay
        )

    def flush(self) -> None:
        if not self.pending and not self.runs and not self.attempts:
            return
        rows, runs, last = list(self.pending.values()), dict(self.runs), dict(self.last_run)
        following, skipped = dict(self.next_run), dict(self.skipped)
        using = conf.options().database
        with transaction.atomic(using=using):
            _drop_missing_schedules(rows, using)
            upsert(rows)
            upsert_attempts(list(self.attempts.values()))
            for pk, n in runs.items():
                passed_over = {"skipped": skipped[pk]} if pk in skipped else {}
                Schedule.objects.using(using).filter(pk=pk).update(
                    runs=F("runs") + n,
                    last_run_at=last[pk],
                    next_run_at=following.get(pk),
                    **passed_over,
                )
        self.pending.clear()
        self.attempts.clear()
        self.runs.clear()
        self.last_run.clear()
        self.next_run.clear()
        self.skipped.clear()


def _drop_missing_schedules(rows: list[JobRecord], using: str) -> None:
    """A schedule deleted while its run was under way leaves the run without one."""
    pks = {r.schedule_id for r in rows if r.schedule_id is not None}
    if not pks:
        return
    existing = set(Schedule.objects.using(using).filter(pk__in=pks).values_list("pk", flat=True))
    for row in rows:
        if row.schedule_id is not None and row.schedule_id not in existing:
            row.schedule_id = None


# -- changes made outside a worker's run, and what only Redis saw --------------------


def refresh(connection: redis.Redis, queue: str, job_ids: Sequence[str]) -> None:
    """The change listener (see :func:`jobq.hooks.add_change_listener`): the rows of
    jobs canceled, deleted, requeued, emptied or queued now, as Redis holds them now.
    A job Redis no longer holds had its run taken away: its waiting row says deleted."""
    if conf.options().record == "none":
        return
    writer = RecordWriter()
    gone = []
    ids = list(job_ids)
    for job_id, job in zip(ids, Job.fetch_many(ids, connection, queue=queue), strict=True):
        if job is None:
            gone.append(job_id)
            continue
        row = row_now(job)
        if row is not None:
            writer.add(row)
        if job.status in (JobStatus.CANCELED, JobStatus.STOPPED) and job.started_at:
            writer.add_attempt(attempt_of(job, job.status.value))
    writer.flush()
    _mark_gone(gone, DELETED, "deleted before it ran")


def _mark_gone(job_ids: list[str], status: str, reason: str) -> int:
    if not job_ids:
        return 0
    return (
        JobRecord.objects.using(conf.options().database)
        .filter(job_id__in=job_ids, status__in=WAITING)
        .update(status=status, reason=reason, ended_at=timezone.now())
    )


def sweep_expired(connection_for: Callable[[str], redis.Redis]) -> int:
    """Rows still waiting whose job Redis no longer holds: nobody deleted it through
    jobq (that reaches :func:`refresh`), so its ``ttl`` passed before a worker took it.
    ``connection_for(queue)`` gives a queue's client. Returns how many rows changed."""
    using = conf.options().database
    cutoff = timezone.now() - dt.timedelta(seconds=SWEEP_AFTER)
    waiting = (
        JobRecord.objects.using(using)
        .filter(status__in=WAITING, enqueued_at__lt=cutoff)
        .order_by("enqueued_at")
        .values_list("queue", "job_id")[:SWEEP_BATCH]
    )
    by_queue: dict[str, list[str]] = {}
    for queue, job_id in waiting:
        by_queue.setdefault(queue, []).append(job_id)
    expired = []
    for queue, ids in by_queue.items():
        try:
            connection = connection_for(queue)
        except ImproperlyConfigured:  # a row of a queue no longer configured
            continue
        found = Job.fetch_many(ids, connection, queue=queue)
        expired += [i for i, job in zip(ids, found, strict=True) if job is None]
    return _mark_gone(expired, EXPIRED, "expired: its ttl passed before a worker took it")
