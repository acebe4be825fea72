"""depends_on with rq's semantics: deferred until every dependency finished; a failed
dependency cancels its dependents, recursively, unless they allow failure."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import redis

from jobq import Dependency, Queue
from jobq.status import JobStatus
from tests.fixtures import jobs
from tests.helpers import burst


def test_dependent_waits_for_every_dependency(
    queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    log = str(tmp_path / "order")
    a = queue.enqueue(jobs.mark, log)
    b = queue.enqueue(jobs.mark, log, depends_on=a)
    c = queue.enqueue(jobs.mark, log, depends_on=[a, b.id])
    assert b.get_status() == JobStatus.DEFERRED
    assert c.get_status() == JobStatus.DEFERRED
    assert set(queue.deferred_job_registry.get_job_ids()) == {b.id, c.id}
    assert queue.job_ids == [a.id]
    burst(queue, connection)
    assert Path(log).read_text().split() == [a.id, b.id, c.id]
    assert queue.deferred_job_registry.count == 0
    assert all(j.get_status() == JobStatus.FINISHED for j in (a, b, c))


def test_a_due_time_and_dependencies_both_hold(queue: Queue, connection: redis.Redis) -> None:
    """Runs once its dependency finished and it is due, whichever comes last."""
    a = queue.enqueue(jobs.noop)
    later_child = queue.enqueue_in(dt.timedelta(seconds=1), jobs.add, 1, 2, depends_on=a)
    past_child = queue.enqueue_in(dt.timedelta(seconds=-1), jobs.add, 2, 2, depends_on=a)
    assert later_child.get_status() == past_child.get_status() == JobStatus.DEFERRED
    burst(queue, connection)  # a finishes: one child is due, the other not yet
    assert past_child.get_status() == JobStatus.FINISHED
    assert later_child.get_status() == JobStatus.SCHEDULED
    assert queue.scheduled_job_registry.get_job_ids() == [later_child.id]
    time.sleep(1.05)
    burst(queue, connection)
    assert later_child.get_status() == JobStatus.FINISHED and later_child.result == 3


def test_dependency_that_already_finished(queue: Queue, connection: redis.Redis) -> None:
    a = queue.enqueue(jobs.noop)
    burst(queue, connection)
    b = queue.enqueue(jobs.add, 1, 1, depends_on=a)
    assert b.get_status() == JobStatus.QUEUED


def test_failed_dependency_cancels_dependents_recursively(
    queue: Queue, connection: redis.Redis
) -> None:
    a = queue.enqueue(jobs.fail)
    b = queue.enqueue(jobs.noop, depends_on=a)
    c = queue.enqueue(jobs.noop, depends_on=b)
    tolerant = queue.enqueue(jobs.add, 1, 2, depends_on=Dependency(jobs=[a], allow_failure=True))
    burst(queue, connection)
    assert a.get_status() == JobStatus.FAILED
    assert b.get_status() == JobStatus.CANCELED
    assert c.get_status() == JobStatus.CANCELED
    assert b.reason == f"dependency {a.id} did not finish"
    assert c.reason == f"dependency {b.id} did not finish"
    assert set(queue.canceled_job_registry.get_job_ids()) == {b.id, c.id}
    assert tolerant.get_status() == JobStatus.FINISHED
    assert tolerant.result == 3


def test_dependency_that_already_failed_cancels_at_enqueue(
    queue: Queue, connection: redis.Redis
) -> None:
    a = queue.enqueue(jobs.fail)
    burst(queue, connection)
    b = queue.enqueue(jobs.noop, depends_on=a)
    assert b.get_status(refresh=False) == JobStatus.CANCELED
    assert b.get_status() == JobStatus.CANCELED
    ok = queue.enqueue(jobs.noop, depends_on=Dependency(jobs=a, allow_failure=True))
    assert ok.get_status() == JobStatus.QUEUED


def test_canceling_a_dependency_cancels_dependents(queue: Queue) -> None:
    a = queue.enqueue(jobs.noop)
    b = queue.enqueue(jobs.noop, depends_on=a)
    a.cancel()
    assert b.get_status() == JobStatus.CANCELED


def test_requeued_dependents_are_not_released_twice(queue: Queue, connection: redis.Redis) -> None:
    a = queue.enqueue(jobs.noop)
    b = queue.enqueue(jobs.add, 1, 1, depends_on=a)
    burst(queue, connection)
    assert b.result == 2
    a.requeue()
    burst(queue, connection)
    assert b.get_status() == JobStatus.FINISHED
    assert b.attempts == 1


def test_dependency_in_another_queue_is_refused_not_ignored(connection: redis.Redis) -> None:
    """Each queue's keys live in one cluster slot, so a dependency must be in the same
    queue; silently running the dependent at once would break rq's semantics."""
    import pytest

    a = Queue("a", connection).enqueue(jobs.sleep, 60)
    other = Queue("b", connection)
    for depends_on in (a, [a], Dependency(jobs=[a]), Dependency(jobs=a, allow_failure=True)):
        with pytest.raises(ValueError, match="queue 'a'"):
            other.enqueue(jobs.noop, depends_on=depends_on)
    with pytest.raises(ValueError, match="queue 'a'"):
        other.enqueue_many([Queue.prepare_data(jobs.noop, depends_on=a)])
    assert other.count == 0 and other.deferred_job_registry.count == 0
    assert connection.keys("jobq:{b}:*") == []


def test_a_dependency_that_does_not_exist_is_passed_over_as_in_rq(
    queue: Queue, connection: redis.Redis
) -> None:
    """rq 2.x defers a job only on dependencies that exist and have not finished
    (Queue.setup_dependencies reads them with Job.fetch_dependencies, which leaves out
    jobs no longer in Redis): a missing one, never enqueued or expired after it ended,
    is passed over and the job runs. jobq matches it (docs/reliability.md)."""
    job = queue.enqueue(jobs.add, 1, 2, depends_on="never-enqueued")
    assert job.get_status() == JobStatus.QUEUED
    done = queue.enqueue(jobs.add, 0, 0, result_ttl=0)
    burst(queue, connection)
    assert not connection.exists(done.key)  # ended and gone
    later = queue.enqueue(jobs.add, 2, 2, depends_on=[done, "never-enqueued"])
    assert later.get_status() == JobStatus.QUEUED
    burst(queue, connection)
    assert (job.result, later.result) == (3, 4)
