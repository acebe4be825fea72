"""rq's callbacks as jobq keeps them: on_stopped next to on_success and on_failure,
each with its timeout, signed with the job; the job handle a callback is given shows
the status the run ends in."""

from __future__ import annotations

import datetime as dt

import pytest
import redis

from jobq import Callback, Job, JobStatus, Queue, SimpleWorker
from jobq.job import UNEVALUATED
from jobq.job_callbacks import UnixSignalDeathPenalty
from tests.fixtures.jobs import add, fail, noop
from tests.fixtures.retry_jobs import note_status_on_failure, note_status_on_success, note_stopped


def test_on_stopped_is_stored_and_read_back_as_a_function(connection: redis.Redis) -> None:
    queue = Queue("stops", connection=connection)
    for job in (
        queue.enqueue(noop, on_stopped=note_stopped),
        queue.enqueue_in(dt.timedelta(seconds=10), noop, on_stopped=Callback(note_stopped)),
        queue.enqueue_many([Queue.prepare_data(noop, on_stopped=note_stopped)])[0],
    ):
        assert Job.fetch(job.id, connection=connection).stopped_callback is note_stopped


def test_prepared_job_data_names_its_callbacks() -> None:
    data = Queue.prepare_data(noop, on_success=add, on_failure=fail, on_stopped=note_stopped)
    assert (data.on_success, data.on_failure, data.on_stopped) == (add, fail, note_stopped)


def test_a_bound_method_is_refused_as_on_stopped(connection: redis.Redis) -> None:
    with pytest.raises(ValueError, match="bound method"):
        Queue("stops", connection=connection).enqueue(noop, on_stopped=Job.fetch)


def test_callback_timeouts_are_kept_and_default_to_rqs(connection: redis.Redis) -> None:
    job = Job.create(
        add, args=(1, 2), connection=connection,
        on_success=Callback(note_status_on_success, timeout=10), on_stopped=note_stopped,
    )  # fmt: skip
    job.save()
    stored = Job.fetch(job.id, connection=connection)
    assert stored.success_callback_timeout == 10
    assert stored.failure_callback_timeout == 60
    assert stored.stopped_callback_timeout == 60
    assert stored.stopped_callback is note_stopped


def test_a_callback_is_imported_once_and_only_when_read(connection: redis.Redis) -> None:
    job = Job.create(noop, connection=connection, on_stopped=note_stopped)
    assert job._stopped_callback is UNEVALUATED
    assert job._stopped_callback_name == "tests.fixtures.retry_jobs.note_stopped"
    assert job.stopped_callback is note_stopped
    assert job._stopped_callback is note_stopped
    plain = Job.create(noop, connection=connection)
    assert plain.success_callback is None and plain._success_callback is None


def test_execute_stopped_callback_calls_it_with_the_job(connection: redis.Redis) -> None:
    job = Queue("stops", connection=connection).enqueue(noop, on_stopped=note_stopped)
    job.execute_stopped_callback(UnixSignalDeathPenalty)
    assert connection.get(f"stopped:{job.id}") == b"queued"


def test_the_success_callback_sees_the_job_finished(connection: redis.Redis) -> None:
    queue = Queue("seen", connection=connection)
    job = queue.enqueue(add, 1, 2, on_success=note_status_on_success)
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert connection.get(f"status-seen:{job.id}") == b"finished"
    assert job.get_status() == JobStatus.FINISHED


def test_the_failure_callback_sees_the_job_failed_when_no_retry_follows(
    connection: redis.Redis,
) -> None:
    queue = Queue("seen", connection=connection)
    job = queue.enqueue(fail, on_failure=note_status_on_failure)
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert connection.get(f"status-seen:{job.id}") == b"failed"
