"""Worker hooks for Django: database hygiene around jobs and batched job records.

``DatabaseHygiene`` does for jobs what Django does for requests: connections
that are broken or past ``CONN_MAX_AGE`` are closed before and after every job,
and the supervisor closes its connections before it forks, so a child never
shares a database socket with its parent (two processes talking over one
socket corrupt the session of both).

``RecordJobs`` writes ``JobRecord`` rows. Writes are batched: a job's start is
written together with the previous job's end. While jobs are fast (a stream of
short jobs) rows wait up to ``MAX_DELAY`` to be written many at a time, and a
job's start is not written at all (its end, in the same batch, replaces it);
after a slow job the next start is written at once, so a long job shows as
started while it runs (so does the first job after a pause). Everything pending is
written when the worker goes idle or stops. A job's end is written once its
acknowledgement landed in Redis (``after_ack``), so the row never says finished
while Redis gives the job to another worker.
"""

from __future__ import annotations

import datetime as dt
import time

import redis
from django.db import close_old_connections, connections

from jobq.hooks import Acked, BaseHook, Hook
from jobq.job import Job
from jobq.reaping import OnReaped
from jobq.scheduler.handle import Schedule as RedisSchedule
from jobq.status import JobStatus
from jobq.worker.executor import Outcome

from . import conf
from .models import schedule_pk_from
from .records import (
    SWEEP_EVERY,
    RecordWriter,
    attempt_of,
    lost_attempt,
    refresh,
    row_after,
    row_from_job,
    row_now,
    sweep_expired,
    wanted,
)

#: a job shorter than this counts as fast: its start need not be written at once
FAST_JOB_SECONDS = 0.05


class DatabaseHygiene(BaseHook):
    """Close stale connections around jobs; close all before a fork and at the end."""

    def before_job(self, job: Job) -> None:
        close_old_connections()

    def after_job(self, job: Job, outcome: Outcome) -> None:
        close_old_connections()

    def before_fork(self) -> None:
        connections.close_all()

    def close(self) -> None:
        connections.close_all()


class RecordJobs(BaseHook):
    """Upsert a ``JobRecord`` at each start and end, in batches."""

    def __init__(self, writer: RecordWriter | None = None) -> None:
        self.writer = writer or RecordWriter()
        #: moving average of job duration; starts "slow" so a first start shows at once
        self.average = 1.0
        self._began = 0.0
        self._swept = 0.0

    def before_job(self, job: Job) -> None:
        self._began = time.monotonic()
        write_now = self.average >= FAST_JOB_SECONDS or self.writer.due()
        if wanted(job.schedule_id):
            # the previous attempt may have died with its worker (unless its end is
            # here, waiting to be written)
            if job.attempts > 1 and (job.id, job.attempts - 1) not in self.writer.attempts:
                self.writer.add_attempt(lost_attempt(job))
            # in a stream of fast jobs the start row would be replaced by the end row
            # before any write: only build it when it is written now
            if write_now:
                self.writer.add(row_from_job(job, JobStatus.STARTED))
                if job.attempts > 1:  # a first attempt is the row itself
                    self.writer.add_attempt(attempt_of(job, "running", ended=False))
            pk = schedule_pk_from(job.schedule_id)
            if pk is not None and job.attempts == 1 and job.started_at is not None:
                self.writer.count_run(pk, job.started_at, *_series(job))
        if write_now:
            self.writer.flush()

    def after_job(self, job: Job, outcome: Outcome) -> None:
        self.average = 0.8 * self.average + 0.2 * (time.monotonic() - self._began)

    def after_ack(self, job: Job, outcome: Outcome, acked: Acked) -> None:
        """The end row, once Redis took the outcome: a result that came too late (the
        job was canceled, reaped or deleted meanwhile) leaves the row to what Redis
        holds now."""
        if wanted(job.schedule_id):
            self._record_end(job, outcome, acked)
        if self.writer.due():
            self.writer.flush()
        self._sweep()

    def _record_end(self, job: Job, outcome: Outcome, acked: Acked) -> None:
        if acked is Acked.LEASE_LOST or outcome.retry is not None:
            # lease lost, or a returned Retry (its own policy decided): read what Redis holds
            self.writer.flush()  # this run's start first, then the truth over it
            refresh(job.connection, job.origin, [job.id])
            return
        self.writer.add(row_after(job, outcome))
        if not outcome.ok or job.attempts > 1:  # one attempt that worked: the row says it
            failed = outcome.reason or "failed"
            self.writer.add_attempt(
                attempt_of(job, "finished" if outcome.ok else failed, outcome.error or "")
            )

    def lost_job(self, job: Job) -> None:
        """The supervisor's word on a job whose executor or whole worker died: failed,
        waiting for a retry or queued again, as Redis now says, with its reason."""
        row = row_now(job)
        if row is not None:
            self.writer.add(row)
            self.writer.add_attempt(lost_attempt(job))
            self.writer.flush()

    def idle(self) -> None:
        self.writer.flush()
        self.average = 1.0  # the next job may be a long one again: show its start at once
        self._sweep()

    def _sweep(self) -> None:
        """At most every ``SWEEP_EVERY`` s: waiting rows whose job expired in Redis."""
        if time.monotonic() - self._swept < SWEEP_EVERY:
            return
        self._swept = time.monotonic()
        from .queues import get_connection

        sweep_expired(get_connection)

    def close(self) -> None:
        self.writer.flush()


def record_reaped(connection: redis.Redis) -> OnReaped:
    """For a scheduler (``rqscheduler``, ``rqworker --with-scheduler``) that reaped a
    dead worker's jobs: their rows, as for a worker's ``lost_job``. Connections are
    closed after (the worker's supervisor forks; the scheduler's loop is long)."""

    def record(queue: str, job_ids: list[str]) -> None:
        writer = RecordWriter()
        try:
            for job in Job.fetch_many(job_ids, connection, queue=queue):
                row = row_now(job) if job is not None else None
                if job is not None and row is not None:
                    writer.add(row)
                    writer.add_attempt(lost_attempt(job))
            writer.flush()
        finally:
            connections.close_all()

    return record


def _series(job: Job) -> tuple[dt.datetime | None, int | None]:
    """The next slot of the schedule that fired ``job`` (None once it has ended), and
    how many of its slots were passed over so far (None: unknown)."""
    assert job.schedule_id is not None
    handle = RedisSchedule.fetch(job.schedule_id, job.origin, job.connection)
    if handle is None:
        return None, None
    return (None if handle.repeats_left == 0 else handle.next_run), handle.skipped


def worker_hooks() -> list[Hook]:
    """The hooks ``rqworker`` runs, outermost first."""
    hooks: list[Hook] = [DatabaseHygiene()]
    if conf.options().record != "none":
        hooks.append(RecordJobs())
    return hooks


def inline_hooks() -> list[Hook]:
    """The hooks of an inline run (``ASYNC: False``): records only, since closing
    connections would end the caller's transaction (a request, a test)."""
    return [RecordJobs()] if conf.options().record != "none" else []
