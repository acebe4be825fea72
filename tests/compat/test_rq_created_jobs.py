"""rq's ``Job.create(...)`` + ``job.save()``: a job stored in the "created" state, in
no registry, found by ``Job.fetch``, queued later, and expiring if never queued."""

from __future__ import annotations

import pytest
import redis

from jobq import Job, JobStatus, Queue, SimpleWorker, defaults
from jobq.exceptions import DuplicateJobError, InvalidJobOperation
from tests.fixtures.jobs import add


def _registries_holding(queue: Queue, job_id: str) -> list[str]:
    held = [r.key for r in queue.registries if job_id in r]
    return held + (["queued"] if job_id in queue.job_ids else [])


def test_saved_created_job_is_fetchable_and_in_no_registry(connection: redis.Redis) -> None:
    job = Job.create(add, args=(3, 4), connection=connection, origin="made")
    assert not connection.exists(job.key)
    job.save()
    assert connection.type(job.key) == b"hash"
    fetched = Job.fetch(job.id, connection=connection)
    assert fetched == job and fetched.get_status() == JobStatus.CREATED
    assert fetched.func_name.endswith("add") and fetched.args == [3, 4]
    assert _registries_holding(Queue("made", connection=connection), job.id) == []


def test_created_job_expires_when_never_enqueued(connection: redis.Redis) -> None:
    job = Job.create(add, args=(1, 1), connection=connection)
    job.save()
    assert 0 < connection.ttl(job.key) <= defaults.CREATED_TTL
    short = Job.create(add, args=(1, 1), connection=connection, ttl=30)
    short.save()
    assert 0 < connection.ttl(short.key) <= 30


def test_saved_created_job_enqueued_later_runs(connection: redis.Redis) -> None:
    queue = Queue("made", connection=connection)
    job = Job.create(add, args=(2, 5), connection=connection, origin="made")
    job.save()
    queue.enqueue_job(job)
    assert queue.job_ids == [job.id] and job.get_status() == JobStatus.QUEUED
    assert connection.ttl(job.key) == -1  # queued: its registry ends it now
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert job.return_value(refresh=True) == 7


def test_created_job_fetched_in_another_process_is_enqueued(connection: redis.Redis) -> None:
    queue = Queue("made", connection=connection)
    made = Job.create(add, args=(1, 2), connection=connection, origin="made", id="later-1")
    made.save()
    queue.enqueue_job(Job.fetch("later-1", connection=connection), at_front=True)
    assert queue.job_ids == ["later-1"]
    with pytest.raises(InvalidJobOperation):
        queue.enqueue_job(Job.fetch("later-1", connection=connection))


def test_created_job_as_dependency_defers_until_it_ran(connection: redis.Redis) -> None:
    queue = Queue("made", connection=connection)
    parent = Job.create(add, args=(1, 1), connection=connection, origin="made")
    parent.save()
    child = queue.enqueue(add, 2, 2, depends_on=parent)
    assert child.get_status() == JobStatus.DEFERRED
    queue.enqueue_job(parent)
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert child.get_status() == JobStatus.FINISHED


def test_save_never_overwrites_a_live_job(connection: redis.Redis) -> None:
    queue = Queue("made", connection=connection)
    queue.enqueue(add, 1, 1, job_id="taken")
    with pytest.raises(DuplicateJobError):
        Job.create(add, args=(9, 9), connection=connection, origin="made", id="taken").save()
    assert Job.fetch("taken", connection=connection).args == [1, 1]


def test_save_of_a_stored_job_saves_its_meta(connection: redis.Redis) -> None:
    job = Queue("made", connection=connection).enqueue(add, 1, 1)
    job.meta["owner"] = "ops"
    job.save()
    assert Job.fetch(job.id, connection=connection).meta == {"owner": "ops"}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: Job.create(add, args="string", connection=c),
        lambda c: Job.create(add, kwargs="string", connection=c),
        lambda c: Job.create(42, connection=c),
    ],
)
def test_create_refuses_arguments_of_the_wrong_type(connection: redis.Redis, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        call(connection)


def test_meta_set_on_the_handle_before_save_is_stored(connection: redis.Redis) -> None:
    job = Job.create(add, args=(1, 1), connection=connection, meta={"a": 1})
    job.meta["b"] = 2
    job.save()
    assert Job.fetch(job.id, connection=connection).meta == {"a": 1, "b": 2}
    job.meta["c"] = 3
    Queue(connection=connection).enqueue_job(job)
    assert Job.fetch(job.id, connection=connection).meta == {"a": 1, "b": 2, "c": 3}


def test_job_id_that_is_not_a_string_is_a_type_error(connection: redis.Redis) -> None:
    with pytest.raises(TypeError, match="job_id must be a string"):
        Queue(connection=connection).enqueue(add, 1, 1, job_id=1234)  # type: ignore[arg-type]
