"""rq's per-job Worker methods (prepare_execution, perform_job, handle_job_*,
execute_job, key) on jobq's steps: a worker takes the job it is handed, runs it
in this process and records the outcome as the loop does."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
import redis

from jobq import JobStatus, Queue, Retry, SimpleWorker, Worker
from jobq.exceptions import InvalidJobOperation
from jobq.hooks import Acked, BaseHook
from jobq.job import Job
from jobq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
from jobq.worker.executor import Outcome
from tests.conftest import wait_until
from tests.fixtures.jobs import add, fail, noop, sleep
from tests.fixtures.retry_jobs import ask_for_retry


def test_prepare_execution_leases_the_job_to_the_worker(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    worker = Worker([queue], connection=queue.connection, name="preparing")
    execution = worker.prepare_execution(job)
    assert execution.job_id == job.id and execution.id == "1"
    assert job.get_status() == JobStatus.STARTED and job.worker_name == "preparing"
    assert job.id in StartedJobRegistry(queue=queue) and queue.job_ids == []
    # the same worker asking again keeps the same attempt
    assert worker.prepare_execution(job) == execution
    assert worker.execution == execution


def test_prepare_execution_refuses_a_job_another_worker_holds(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    Worker([queue], connection=queue.connection, name="first").prepare_execution(job)
    with pytest.raises(InvalidJobOperation):
        Worker([queue], connection=queue.connection, name="second").prepare_execution(job)


def test_prepare_execution_refuses_a_queue_with_flow_control(connection: redis.Redis) -> None:
    limited = Queue("limited-take", connection=connection)
    limited.set_limits(concurrency=1)
    job = limited.enqueue(add, 1, 2)
    with pytest.raises(InvalidJobOperation, match="flow control"):
        SimpleWorker([limited], connection=connection).prepare_execution(job)
    assert job.get_status() == JobStatus.QUEUED and limited.job_ids == [job.id]


def test_perform_job_runs_and_records_success(queue: Queue) -> None:
    job = queue.enqueue(add, 2, 3)
    worker = SimpleWorker([queue], connection=queue.connection)
    assert worker.perform_job(job, queue) is True
    assert job.get_status() == JobStatus.FINISHED and job.result == 5
    assert FinishedJobRegistry(queue=queue).get_job_ids() == [job.id]
    assert StartedJobRegistry(queue=queue).count == 0


def test_perform_job_of_a_job_returning_a_retry_retries_it_per_that_retry(queue: Queue) -> None:
    job = queue.enqueue(ask_for_retry, 1, 3600)
    worker = SimpleWorker([queue], connection=queue.connection)
    assert worker.perform_job(job, queue) is False
    assert job.get_status() == JobStatus.SCHEDULED  # the returned Retry's interval
    assert job.latest_result().type.name == "RETRIED"
    assert job.id not in FailedJobRegistry(queue=queue)


def test_perform_job_records_failure_in_failed_registry(queue: Queue) -> None:
    job = queue.enqueue(fail, "nope")
    worker = SimpleWorker([queue], connection=queue.connection)
    assert worker.perform_job(job, queue) is False
    assert job.get_status() == JobStatus.FAILED and "nope" in (job.exc_info or "")
    assert job.id in FailedJobRegistry(queue=queue)
    assert FinishedJobRegistry(queue=queue).count == 0


def test_handle_job_failure_retries_per_the_jobs_retry(queue: Queue) -> None:
    job = queue.enqueue(fail, retry=Retry(max=1))
    worker = SimpleWorker([queue], connection=queue.connection)
    assert worker.handle_job_failure(job, queue, exc_string="boom") is Acked.RETRIED
    assert job.get_status() == JobStatus.QUEUED and queue.job_ids == [job.id]
    assert worker.handle_job_failure(job, queue, exc_string="boom again") is Acked.FAILED
    assert job.get_status() == JobStatus.FAILED and job.exc_info == "boom again"


def test_handle_job_success_finishes_a_held_job(queue: Queue) -> None:
    job = queue.enqueue(noop)
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.prepare_execution(job)
    assert worker.handle_job_success(job, queue) is Acked.FINISHED
    assert job.get_status() == JobStatus.FINISHED and job.result is None


def test_the_loop_runs_jobs_through_execute_job(queue: Queue) -> None:
    seen: list[str] = []

    class Wrapping(SimpleWorker):
        def execute_job(self, job: Job, queue: Queue | None = None) -> Outcome:
            seen.append(job.id)
            return super().execute_job(job, queue)

    job = queue.enqueue(add, 1, 1)
    Wrapping([queue], connection=queue.connection).work(burst=True)
    assert seen == [job.id] and job.get_status() == JobStatus.FINISHED


def test_perform_job_tells_the_hooks_what_it_took_and_what_landed(queue: Queue) -> None:
    seen: list[str] = []

    class Listen(BaseHook):
        def dequeued(self, jobs: Sequence[Job]) -> None:
            seen.extend(f"took {j.id}" for j in jobs)

        def after_ack(self, job: Job, outcome: Outcome, acked: Acked) -> None:
            seen.append(f"{acked.value} {job.id}")

    worker = SimpleWorker([queue], connection=queue.connection, hooks=[Listen()])
    good, bad = queue.enqueue(add, 1, 1), queue.enqueue(fail)
    worker.perform_job(good, queue)
    worker.perform_job(bad, queue)
    assert seen == [f"took {good.id}", f"finished {good.id}", f"took {bad.id}", f"failed {bad.id}"]


def test_worker_key_is_its_record(queue: Queue) -> None:
    worker = Worker([queue], connection=queue.connection, name="keyed")
    worker.register_birth()
    assert queue.connection.exists(worker.key)
    assert worker.key.endswith("keyed")


def test_current_job_is_the_one_taken_until_its_outcome_lands(queue: Queue) -> None:
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.register_birth()
    assert worker.get_current_job_id() is None and worker.get_current_job() is None
    job = queue.enqueue(add, 1, 1)
    worker.prepare_execution(job)
    assert worker.get_current_job_id() == job.id
    current = worker.get_current_job()
    assert current is not None and current.id == job.id
    worker.handle_job_success(job, queue)
    assert worker.get_current_job_id() is None


def test_current_job_of_a_busy_worker_is_read_from_its_record(queue: Queue) -> None:
    job = queue.enqueue(sleep, 1.5)
    busy = SimpleWorker([queue], connection=queue.connection, name="busy")
    running = threading.Thread(target=busy.work, kwargs={"burst": True})
    running.start()
    try:
        onlooker = SimpleWorker([queue], connection=queue.connection, name="busy")
        wait_until(lambda: onlooker.get_current_job_id() == job.id, timeout=5)
    finally:
        running.join()
    assert job.get_status() == JobStatus.FINISHED


def test_fetch_many_finds_a_job_by_its_execution_key(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 1)
    execution = SimpleWorker([queue], connection=queue.connection).prepare_execution(job)
    later = f"{job.id}:{int(execution.id) + 1}"  # an attempt not made yet
    found = Job.fetch_many([execution.composite_key, later, job.id], queue.connection)
    assert [j.id if j else None for j in found] == [job.id, None, job.id]
