"""rq's registry calls on jobq's registries: ``add`` files a job (it leaves the
registry it was in), a plain ``BaseRegistry`` is an index of ids with expiries,
and the started registry speaks of executions (a job's attempts)."""

from __future__ import annotations

import math
import time

import pytest
import redis

from jobq import JobStatus, Queue, SimpleWorker
from jobq.executions import Execution
from jobq.job import Job
from jobq.registry import (
    BaseRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from tests.fixtures.jobs import add


class Tagged(Job):
    """A job class of the program's own."""


def test_a_plain_registry_indexes_ids_without_moving_jobs(queue: Queue) -> None:
    registry = BaseRegistry(queue.name, queue.connection)
    job = queue.enqueue(add, 1, 2)
    assert job not in registry
    registry.add(job, 60)
    assert job in registry and job.id in registry and registry.count == 1
    assert job.get_status() == JobStatus.QUEUED and queue.job_ids == [job.id]
    left = registry.get_expiration_time(job).timestamp() - time.time()
    assert 55 < left <= 60
    registry.add(job, -1)
    assert queue.connection.zscore(registry.key, job.id) == math.inf
    registry.remove(job)
    assert job not in registry and queue.fetch_job(job.id) is not None


def test_a_plain_registry_removes_with_the_job_deleted(queue: Queue) -> None:
    registry = BaseRegistry(queue=queue)
    job = queue.enqueue(add, 1, 2)
    registry.add(job.id, -1)
    registry.remove(job.id, delete_job=True)
    assert job.id not in registry and queue.fetch_job(job.id) is None and queue.job_ids == []


def test_a_plain_registry_expires_and_cleans_up(queue: Queue) -> None:
    registry = BaseRegistry(queue=queue)
    registry.add("gone", 0)
    registry.add("kept", 60)
    assert registry.get_expired_job_ids(time.time() * 1000 + 1) == ["gone"]
    assert registry.get_job_count() == 2
    registry.cleanup()
    assert registry.get_job_ids() == ["kept"]


def test_a_registry_returns_jobs_of_its_job_class(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    FinishedJobRegistry(queue=queue).add(job, 60)
    found = FinishedJobRegistry(queue.name, queue.connection, job_class=Tagged).get_jobs()
    assert [type(j) for j in found] == [Tagged] and found[0].id == job.id


def test_adding_to_finished_files_the_job_there(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    registry = FinishedJobRegistry(queue=queue)
    registry.add(job, 2)
    assert queue.job_ids == [] and registry.get_jobs() == [job]
    assert job.get_status() == JobStatus.FINISHED
    assert 0 < queue.connection.pttl(job.key) <= 2000


def test_adding_to_failed_keeps_the_error_given(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    FailedJobRegistry(queue=queue).add(job, 60, exc_string="it broke")
    assert job.get_status() == JobStatus.FAILED and job.exc_info == "it broke"
    assert job.id in FailedJobRegistry(queue=queue)


def test_adding_on_a_pipeline_lands_with_it(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    queue.connection.script_flush()  # as after a restart: the pipeline carries the step
    with queue.connection.pipeline() as pipe:
        assert FinishedJobRegistry(queue=queue).add(job, 60, pipeline=pipe) is None
        assert job.get_status() == JobStatus.QUEUED
        pipe.execute()
    assert job.get_status() == JobStatus.FINISHED


def test_adding_to_deferred_parks_the_job_until_enqueued(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    registry = DeferredJobRegistry(queue=queue)
    registry.add(job)
    assert job.get_status() == JobStatus.DEFERRED and queue.job_ids == []
    registry.cleanup()
    assert registry.get_job_ids() == [job.id]
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert job.get_status() == JobStatus.DEFERRED


def test_running_and_scheduled_jobs_are_not_added_by_hand(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    with pytest.raises(NotImplementedError, match="prepare_execution"):
        StartedJobRegistry(queue=queue).add(job)
    with pytest.raises(NotImplementedError, match="enqueue_at"):
        ScheduledJobRegistry(queue=queue).add(job)
    execution = Execution("1", job.id, queue.connection)
    with pytest.raises(NotImplementedError, match="prepare_execution"):
        StartedJobRegistry(queue=queue).add_execution(execution, ttl=5)
    assert job.get_status() == JobStatus.QUEUED


def test_started_registry_lists_executions_and_hands_them_back(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    worker = SimpleWorker([queue], connection=queue.connection)
    execution = worker.prepare_execution(job)
    registry = StartedJobRegistry(queue=queue)
    assert registry.get_job_and_execution_ids() == [(job.id, execution.id)]
    assert registry.remove_executions(job) == 1
    assert registry.get_job_and_execution_ids() == []
    assert job.get_status() == JobStatus.QUEUED and queue.job_ids == [job.id]


def test_started_registry_takes_no_id_alone(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    SimpleWorker([queue], connection=queue.connection).prepare_execution(job)
    with pytest.raises(NotImplementedError, match="remove_executions"):
        StartedJobRegistry(queue=queue).remove(job)
    assert job.get_status() == JobStatus.STARTED and job in StartedJobRegistry(queue=queue)


def test_remove_executions_drops_the_id_of_a_job_gone(
    queue: Queue, connection: redis.Redis
) -> None:
    registry = StartedJobRegistry(queue=queue)
    connection.zadd(registry.key, {"dangling": 1})
    assert registry.remove_executions("dangling") == 0
    assert registry.count == 0
