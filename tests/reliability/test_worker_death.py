"""kill -9 of a worker or of one executor child: the job runs again or fails with a
reason, attempts are counted, nothing is lost, and surviving workers go on."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import redis

from jobq import Job, Queue, Retry, defaults
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until
from tests.fixtures import jobs
from tests.helpers import alive, assert_all_ended, child_pids

from .conftest import LEASE, kill_hard, signal_and_wait, wait_for_file

pytestmark = pytest.mark.slow


def test_job_of_a_killed_worker_runs_again_elsewhere(
    processes: Processes, queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    log = tmp_path / "attempts"
    job = queue.enqueue(jobs.sleep_on_first_attempt, str(log), 60)
    others = [queue.enqueue(jobs.add, i, i).id for i in range(5)]
    first = processes.worker("--lease", LEASE, "--name", "first")
    ((pid, attempt),) = [line.split() for line in wait_for_file(log)]
    assert attempt == "1"
    assert int(pid) in child_pids(first.pid)
    kill_hard(first.pid)  # the supervisor; its executor dies with it
    wait_until(lambda: not alive(int(pid)), timeout=10)
    assert job.get_status() == JobStatus.STARTED  # nobody has noticed yet

    second = processes.worker("--lease", LEASE, "--name", "second")
    wait_until(lambda: job.get_status() == JobStatus.FINISHED, timeout=30)
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [a for _, a in lines] == ["1", "2"]
    assert lines[0][0] != lines[1][0]  # another process ran it
    job.refresh()
    assert job.attempts == 2
    assert job.result == 2
    assert job.worker_name == "second"
    wait_until(lambda: queue.finished_job_registry.count == 6, timeout=20)
    assert_all_ended(connection, "default", [job.id, *others])
    assert signal_and_wait(second, signal.SIGTERM) == 0


def test_job_whose_worker_keeps_dying_fails_with_worker_died(
    processes: Processes, queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    log = tmp_path / "attempts"
    job = queue.enqueue(jobs.log_attempt_then_sleep, str(log), 60)
    for death in range(1, defaults.MAX_LOST + 1):
        worker = processes.worker("--lease", LEASE, "--name", f"doomed-{death}")
        wait_for_file(log, lines=death, timeout=30)
        kill_hard(worker.pid)
    survivor = processes.worker("--lease", LEASE, "--name", "survivor")
    wait_until(lambda: job.get_status() == JobStatus.FAILED, timeout=30)
    job.refresh()
    assert job.reason == "worker died"
    assert "doomed-3 stopped renewing its lease 3 time(s)" in (job.exc_info or "")
    assert job.attempts == defaults.MAX_LOST
    assert len(log.read_text().splitlines()) == defaults.MAX_LOST  # never a 4th run
    assert job.id in queue.failed_job_registry
    after = queue.enqueue(jobs.add, 1, 2)
    assert Job.fetch(after.id, connection).wait(timeout=30) == 3
    assert_all_ended(connection, "default", [job.id, after.id])
    assert survivor.poll() is None


def test_killed_executor_child_fails_or_retries_its_job_and_the_worker_goes_on(
    processes: Processes, queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    worker = processes.worker("--lease", LEASE)

    # with a retry left: the job runs again in a fresh child and finishes
    log = tmp_path / "attempts"
    retried = queue.enqueue(jobs.sleep_on_first_attempt, str(log), 60, retry=Retry(max=1))
    ((pid, _),) = [line.split() for line in wait_for_file(log)]
    assert int(pid) in child_pids(worker.pid)
    kill_hard(int(pid))
    assert retried.wait(timeout=30) == 2
    retried.refresh()
    assert retried.attempts == 2
    assert retried.reason == "worker child died"  # the failed attempt's reason is kept

    # without one: the job fails with the reason
    marker = tmp_path / "pid"
    doomed = queue.enqueue(jobs.touch_then_sleep, str(marker), 60)
    wait_for_file(marker)
    child = int(marker.read_text())
    assert child in child_pids(worker.pid)
    kill_hard(child)
    wait_until(lambda: doomed.get_status() == JobStatus.FAILED, timeout=30)
    doomed.refresh()
    assert doomed.reason == "worker child died"
    assert "killed by signal SIGKILL" in (doomed.exc_info or "")
    assert doomed.attempts == 1

    # the worker is alive with a new executor
    after = queue.enqueue(jobs.getpid_after, 0)
    new_child = after.wait(timeout=30)
    assert new_child != child
    assert new_child in child_pids(worker.pid)
    assert worker.poll() is None
    assert_all_ended(connection, "default", [retried.id, doomed.id, after.id])
    assert signal_and_wait(worker, signal.SIGTERM) == 0
