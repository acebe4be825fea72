"""rq's stop command: send_stop_job_command ends a running job as "stopped" at once,
the worker kills the executor running it and calls the job's on_stopped, and goes on
with other jobs."""

from __future__ import annotations

import pytest
import redis

from jobq import JobStatus, Queue, SimpleWorker
from jobq.command import send_stop_job_command
from jobq.exceptions import InvalidJobOperation
from jobq.results import Result
from tests.conftest import Processes, wait_until
from tests.fixtures.jobs import add, sleep
from tests.fixtures.retry_jobs import note_stopped


def test_stopping_a_running_job_kills_its_run_and_calls_on_stopped(
    connection: redis.Redis, processes: Processes
) -> None:
    queue = Queue("stopping", connection=connection)
    job = queue.enqueue(sleep, 60, on_stopped=note_stopped)
    worker = processes.worker("stopping", "--name", "stopper")
    wait_until(lambda: job.get_status() == JobStatus.STARTED)
    send_stop_job_command(connection, job.id)
    assert job.get_status() == JobStatus.STOPPED  # at once, before the worker acts
    assert job.id in queue.failed_job_registry
    assert job.latest_result().type == Result.Type.STOPPED
    wait_until(lambda: connection.get(f"stopped:{job.id}") == b"stopped")
    after = queue.enqueue(add, 2, 3)
    wait_until(lambda: after.get_status() == JobStatus.FINISHED)  # a new executor runs it
    assert job.get_status() == JobStatus.STOPPED
    assert "killing executor" in processes.log(worker)
    assert "died" not in processes.log(worker)


def test_a_simple_worker_lets_the_stopped_run_end_and_drops_its_result(
    connection: redis.Redis, processes: Processes
) -> None:
    queue = Queue("stopsimple", connection=connection)
    job = queue.enqueue(sleep, 1.5, on_stopped=note_stopped)
    processes.worker("stopsimple", "--simple")
    wait_until(lambda: job.get_status() == JobStatus.STARTED)
    send_stop_job_command(connection, job.id)
    wait_until(lambda: connection.get(f"stopped:{job.id}") == b"stopped")
    after = queue.enqueue(add, 2, 3)
    wait_until(lambda: after.get_status() == JobStatus.FINISHED)
    assert job.get_status() == JobStatus.STOPPED
    assert job.return_value() is None


def test_a_stopped_jobs_dependents_wait_until_it_runs_again(
    connection: redis.Redis, processes: Processes
) -> None:
    queue = Queue("stopdeps", connection=connection)
    parent = queue.enqueue(sleep, 60)
    child = queue.enqueue(add, 1, 1, depends_on=parent)
    processes.worker("stopdeps")
    wait_until(lambda: parent.get_status() == JobStatus.STARTED)
    send_stop_job_command(connection, parent.id)
    assert child.get_status() == JobStatus.DEFERRED


def test_only_a_running_job_can_be_stopped(connection: redis.Redis) -> None:
    queue = Queue("notrunning", connection=connection)
    job = queue.enqueue(add, 1, 2)
    with pytest.raises(InvalidJobOperation):
        send_stop_job_command(connection, job.id)
    SimpleWorker([queue], connection=connection).work(burst=True)
    with pytest.raises(InvalidJobOperation):
        send_stop_job_command(connection, job.id)
    assert job.get_status() == JobStatus.FINISHED
