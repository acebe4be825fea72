"""job_timeout enforced in worker processes, also for code that never returns to the
interpreter; retries with intervals."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import redis

from jobq import Queue, Retry
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until
from tests.fixtures import jobs
from tests.helpers import alive, assert_all_ended, child_pids

from .conftest import LEASE, signal_and_wait, wait_for_file

pytestmark = pytest.mark.slow


def test_job_timeout_fails_the_job_and_the_worker_goes_on(
    processes: Processes, queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    marker = tmp_path / "stuck"
    sleeping = queue.enqueue(jobs.sleep, 60, job_timeout=1)
    busy = queue.enqueue(jobs.busy_loop, 60, job_timeout=1)
    stuck = queue.enqueue(jobs.ignore_alarm_sleep, str(marker), 60, job_timeout=1)
    after = queue.enqueue(jobs.getpid_after, 0)
    worker = processes.worker("--lease", LEASE)
    stuck_pid = int(wait_for_file(marker, timeout=30)[0])
    assert stuck_pid in child_pids(worker.pid)
    assert after.wait(timeout=30) != stuck_pid  # a new executor ran it
    assert not alive(stuck_pid)  # the supervisor killed the stuck one
    for job in (sleeping, busy, stuck):
        job.refresh()
        assert job.get_status() == JobStatus.FAILED, job.func_name
        assert job.reason == "timeout", job.func_name
        assert "JobTimeoutException" in (job.exc_info or "")
    assert "its executor was killed" in (stuck.exc_info or "")
    assert worker.poll() is None
    assert_all_ended(connection, "default", [sleeping.id, busy.id, stuck.id, after.id])
    assert signal_and_wait(worker, signal.SIGTERM) == 0


def test_timeout_with_retry_runs_again(
    processes: Processes, queue: Queue, connection: redis.Redis
) -> None:
    job = queue.enqueue(jobs.sleep, 60, job_timeout=0.5, retry=Retry(max=1))
    worker = processes.worker("--lease", LEASE)
    wait_until(lambda: job.get_status() == JobStatus.FAILED, timeout=30)
    job.refresh()
    assert job.attempts == 2
    assert job.reason == "timeout"
    assert signal_and_wait(worker, signal.SIGTERM) == 0


def test_retries_honour_their_intervals(
    processes: Processes, queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    log = tmp_path / "times"
    job = queue.enqueue(jobs.fail_until_timed, str(log), 2, retry=Retry(max=2, interval=[0.2, 0.4]))
    never = queue.enqueue(jobs.fail_until_timed, str(tmp_path / "never"), 9, retry=Retry(max=1))
    worker = processes.worker("--lease", LEASE)
    assert job.wait(timeout=30) == 3
    job.refresh()
    assert job.attempts == 3
    times = [float(t) for t in log.read_text().split()]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.2  # not before its interval
    assert times[2] - times[1] >= 0.4
    wait_until(lambda: never.get_status() == JobStatus.FAILED, timeout=30)
    never.refresh()
    assert never.attempts == 2
    assert "attempt 2 fails" in (never.exc_info or "")
    assert_all_ended(connection, "default", [job.id, never.id])
    assert signal_and_wait(worker, signal.SIGTERM) == 0
