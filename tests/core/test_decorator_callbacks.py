"""@job (bare and with arguments), get_current_job, and success/failure callbacks."""

from __future__ import annotations

import redis

import jobq
from jobq import Callback, Job, Queue, get_current_job
from jobq.status import JobStatus
from tests.fixtures import jobs
from tests.helpers import burst


def test_bare_decorator_delay_and_direct_call(connection: redis.Redis) -> None:
    assert jobs.decorated_bare(6, 7) == 42  # still a plain function call
    job = jobs.decorated_bare.delay(2, 3)
    assert job.origin == "default"
    assert job.func_name == "tests.fixtures.jobs.decorated_bare"
    burst(Queue("default", connection), connection)
    assert job.result == 6


def test_decorator_with_arguments(connection: redis.Redis) -> None:
    assert jobs.decorated_with_args(1) == 101
    job = jobs.decorated_with_args.delay(5)
    assert job.origin == "decorated"
    fetched = Job.fetch(job.id, connection)
    assert (fetched.timeout, fetched.result_ttl, fetched.max_attempts) == (7, 99, 3)
    other = jobs.decorated_with_args.enqueue(6, job_timeout=3, job_id="explicit")
    assert other.id == "explicit"
    assert other.timeout == 3
    burst(Queue("decorated", connection), connection)
    assert (job.result, other.result) == (105, 106)


def test_decorator_on_a_queue_object(connection: redis.Redis) -> None:
    queue = Queue("objq", connection)
    add = jobq.job(queue, result_ttl=-1)(jobs.add)
    job = add.delay(1, 2)
    assert job.origin == "objq"
    assert add.get_queue() is queue
    burst(queue, connection)
    assert job.result == 3
    assert job.id in queue.finished_job_registry


def test_decorator_refuses_unknown_options() -> None:
    import pytest

    with pytest.raises(TypeError, match="unknown option"):
        jobq.job("q", timout=3)


def test_get_current_job(queue: Queue, connection: redis.Redis) -> None:
    assert get_current_job() is None
    job = queue.enqueue(jobs.current_job_id)
    burst(queue, connection)
    assert job.result == job.id
    assert get_current_job() is None


def test_on_success_callback(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.add, 1, 2, on_success=Callback(jobs.record_success))
    plain = queue.enqueue(jobs.add, 2, 2, on_success=jobs.record_success)
    burst(queue, connection)
    job.refresh()
    plain.refresh()
    assert job.meta["callback"] == "success:3"
    assert plain.meta["callback"] == "success:4"


def test_on_failure_callback(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(
        jobs.fail,
        on_failure=Callback("tests.fixtures.jobs.record_failure"),
        on_success=jobs.record_success,
    )
    burst(queue, connection)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert job.meta["callback"] == "failure:ValueError"


def test_failing_callback_does_not_kill_the_worker(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop, on_success=jobs.fail)  # wrong signature: raises
    after = queue.enqueue(jobs.add, 1, 1)
    burst(queue, connection)
    assert job.get_status() == JobStatus.FAILED  # as in rq: a failing on_success fails the job
    assert after.result == 2
