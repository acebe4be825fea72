"""rq's hand-set statuses and dependency calls: job.set_status,
Queue.enqueue_dependents, dependencies_are_met, fetch_dependencies, cleanup."""

from __future__ import annotations

import pytest
import redis

from jobq import Job, JobStatus, Queue, SimpleWorker
from jobq.exceptions import InvalidJobOperation, NoSuchJobError
from jobq.job import Dependency
from tests.fixtures.jobs import add, noop


def _saved(connection: redis.Redis) -> Job:
    made = Job.create(noop, connection=connection)
    made.save()
    return made


def test_set_status_finished_lets_later_dependents_run_at_once(queue: Queue) -> None:
    parent = _saved(queue.connection)
    waiting = queue.enqueue(add, 1, 2, depends_on=parent)
    parent.set_status(JobStatus.FINISHED)
    assert Job.fetch(parent.id, queue.connection).get_status() is JobStatus.FINISHED
    assert parent.id in queue.finished_job_registry.get_job_ids()
    later = queue.enqueue(add, 3, 4, depends_on=parent)
    assert later.get_status() is JobStatus.QUEUED
    assert waiting.get_status() is JobStatus.DEFERRED  # settled by enqueue_dependents
    assert queue.job_ids == [later.id]


def test_enqueue_dependents_queues_the_dependents_of_a_job_set_finished(queue: Queue) -> None:
    parent = _saved(queue.connection)
    first = queue.enqueue(add, 1, 1, depends_on=parent)
    second = queue.enqueue(add, 2, 2, depends_on=parent)
    parent.set_status(JobStatus.FINISHED)
    parent.save()  # a stored job: saves its meta
    queue.enqueue_dependents(parent)
    assert set(queue.job_ids) == {first.id, second.id}
    assert queue.deferred_job_registry.get_job_ids() == []
    assert not queue.connection.exists(parent.dependents_key)
    queue.enqueue_dependents(parent)  # settled once
    assert len(queue.job_ids) == 2


def test_enqueue_dependents_of_a_job_set_canceled_cancels_them(queue: Queue) -> None:
    parent = queue.enqueue(noop)
    strict = queue.enqueue(add, 1, 1, depends_on=parent)
    tolerant = queue.enqueue(add, 1, 1, depends_on=Dependency([parent], allow_failure=True))
    parent.set_status(JobStatus.CANCELED)
    assert parent.id not in queue.job_ids
    queue.enqueue_dependents(parent)
    assert strict.get_status() is JobStatus.CANCELED
    assert tolerant.get_status() is JobStatus.QUEUED


def test_enqueue_dependents_of_a_job_that_has_not_ended_leaves_them_waiting(
    queue: Queue,
) -> None:
    parent = queue.enqueue(noop)
    child = queue.enqueue(add, 1, 1, depends_on=parent)
    queue.enqueue_dependents(parent)
    assert child.get_status() is JobStatus.DEFERRED


def test_set_status_refuses_statuses_only_steps_give_and_jobs_that_ended(
    queue: Queue,
) -> None:
    job = queue.enqueue(noop)
    for status in (JobStatus.STARTED, JobStatus.QUEUED, JobStatus.STOPPED, "deferred"):
        with pytest.raises(ValueError, match="set_status gives a job one of"):
            job.set_status(status)
    job.set_status("failed")
    assert job.get_status() is JobStatus.FAILED and job.reason == "filed as failed"
    with pytest.raises(InvalidJobOperation):
        job.set_status(JobStatus.FINISHED)


def test_set_status_in_a_pipeline_runs_when_the_pipeline_runs(queue: Queue) -> None:
    job = queue.enqueue(noop)
    with queue.connection.pipeline() as pipe:
        job.set_status(JobStatus.CANCELED, pipeline=pipe)
        assert job.get_status() is JobStatus.QUEUED
        pipe.execute()
    assert job.get_status() is JobStatus.CANCELED
    assert job.id in queue.canceled_job_registry.get_job_ids()


def test_dependencies_are_met_reads_every_dependency(queue: Queue) -> None:
    a, b = queue.enqueue(noop, job_id="a"), queue.enqueue(noop, job_id="b")
    child = queue.enqueue(add, 1, 1, depends_on=["a", "b"])
    assert not child.dependencies_are_met()
    a.set_status(JobStatus.FINISHED)
    assert not child.dependencies_are_met()
    assert child.dependencies_are_met(exclude_job_id="b")
    b.set_status(JobStatus.FINISHED)
    assert child.dependencies_are_met()
    assert [j.id for j in child.fetch_dependencies()] == ["a", "b"]


def test_dependencies_are_met_counts_a_deleted_dependency_as_met(queue: Queue) -> None:
    parent = queue.enqueue(noop, result_ttl=0)
    child = queue.enqueue(add, 1, 1, depends_on=parent)
    SimpleWorker([queue], connection=queue.connection).work(burst=True, max_jobs=1)
    assert child.dependencies_are_met() and child.fetch_dependencies() == []
    assert child.get_status() is JobStatus.QUEUED


def test_dependencies_are_met_counts_a_canceled_parent_as_failed(queue: Queue) -> None:
    parent = queue.enqueue(noop)
    strict = queue.enqueue(add, 1, 1, depends_on=parent)
    tolerant = queue.enqueue(add, 1, 1, depends_on=Dependency([parent], allow_failure=True))
    parent.set_status(JobStatus.CANCELED)
    assert not strict.dependencies_are_met(parent) and not strict.dependencies_are_met()
    assert tolerant.dependencies_are_met(parent) and tolerant.dependencies_are_met()


def test_dependencies_are_met_allows_failed_parents_when_asked(queue: Queue) -> None:
    parent = queue.enqueue(noop)
    child = queue.enqueue(add, 1, 1, depends_on=Dependency([parent], allow_failure=True))
    strict = queue.enqueue(add, 1, 1, depends_on=parent)
    parent.set_status(JobStatus.FAILED)
    assert child.dependencies_are_met(parent) and not strict.dependencies_are_met(parent)


def test_cleanup_sets_how_long_a_created_job_is_kept(connection: redis.Redis) -> None:
    job = _saved(connection)
    job.cleanup(ttl=-1)
    assert connection.ttl(job.key) == -1
    job.cleanup(ttl=100)
    assert connection.ttl(job.key) == 100
    job.cleanup(ttl=0)
    with pytest.raises(NoSuchJobError):
        Job.fetch(job.id, connection)


def test_cleanup_of_an_ended_job_moves_its_expiry_in_its_registry(queue: Queue) -> None:
    job = queue.enqueue(noop)
    job.set_status(JobStatus.FINISHED)
    job.cleanup(ttl=-1)
    assert queue.connection.zscore(queue.finished_job_registry.key, job.id) == float("inf")
    assert queue.connection.ttl(job.key) == -1
    job.cleanup()  # its result_ttl again
    assert 0 < queue.connection.ttl(job.key) <= 500


def test_cleanup_refuses_a_job_that_waits(queue: Queue) -> None:
    job = queue.enqueue(noop)
    with pytest.raises(InvalidJobOperation):
        job.cleanup(ttl=10)
    assert queue.connection.ttl(job.key) == -1 and queue.job_ids == [job.id]


def test_cancel_twice_says_the_job_is_already_canceled(queue: Queue) -> None:
    job = queue.enqueue(noop, job_id="twice")
    job.cancel()
    with pytest.raises(InvalidJobOperation, match="Cannot cancel already canceled job: twice"):
        job.cancel()


def test_a_stored_job_names_its_first_dependency_and_its_dependents(
    connection: redis.Redis,
) -> None:
    parent = _saved(connection)
    for depends_on in (parent, parent.id):
        child = Job.create(noop, depends_on=depends_on, connection=connection)
        child.save()
        stored = Job.fetch(child.id, connection)
        assert stored._dependency_id == parent.id and stored._dependency_ids == [parent.id]
        assert stored.dependency == parent
    queue = Queue(connection=connection)
    waiting = queue.enqueue(noop, depends_on=parent)
    assert parent.dependent_ids == [waiting.id]
    assert _saved(connection).dependency is None


def test_depends_on_refuses_what_is_no_job_with_rqs_value_error(
    connection: redis.Redis,
) -> None:
    parent = _saved(connection)
    for bad in ([{"id": "not-a-job"}, parent.id], [parent, 12345]):
        with pytest.raises(ValueError, match="depends_on takes a Job"):
            Job.create(noop, depends_on=bad, connection=connection)
        with pytest.raises(TypeError):  # what jobq raised before: still caught
            Job.create(noop, depends_on=bad, connection=connection)


def test_result_and_failure_ttl_read_none_unless_given(connection: redis.Redis) -> None:
    plain = Job.create(noop, connection=connection)
    plain.save()
    fetched = Job.fetch(plain.id, connection)
    assert (fetched.result_ttl, fetched.failure_ttl) == (None, None)
    assert fetched.get_result_ttl(500) == 500
    given = Job.create(noop, result_ttl=500, failure_ttl=15, connection=connection)
    given.save()
    fetched = Job.fetch(given.id, connection)
    assert (fetched.result_ttl, fetched.failure_ttl) == (500, 15)  # rq's default, given


def test_a_result_without_a_ttl_is_kept_the_default_500_seconds(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert job.result_ttl is None and job.return_value(refresh=True) == 3
    assert 490 < queue.connection.ttl(job.key) <= 500


def test_a_queue_default_result_ttl_equal_to_jobqs_own_is_read_back_from_its_jobs(
    connection: redis.Redis,
) -> None:
    given = Queue("given", connection=connection, default_result_ttl=500)
    other = Queue("other", connection=connection, default_result_ttl=60)
    plain = Queue("plain", connection=connection)
    assert given.enqueue(noop).result_ttl == 500
    assert other.enqueue(noop).result_ttl == 60
    assert plain.enqueue(noop).result_ttl is None
