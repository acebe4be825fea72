"""SIGTERM: warm shutdown (the running job finishes, prefetched ones go back, exit 0);
a second SIGTERM: cold shutdown (the running job goes back to the queue too)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import redis

from jobq import Queue
from jobq.status import JobStatus
from tests.conftest import Processes
from tests.fixtures import jobs
from tests.helpers import assert_all_ended, burst

from .conftest import LEASE, signal_and_wait, wait_for_file

pytestmark = pytest.mark.slow

MODES = [pytest.param([], id="worker"), pytest.param(["--simple"], id="simple")]


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_is_a_warm_shutdown(
    processes: Processes,
    queue: Queue,
    connection: redis.Redis,
    tmp_path: Path,
    mode: list[str],
) -> None:
    marker = tmp_path / "running"
    before = [queue.enqueue(jobs.noop).id for _ in range(60)]  # fast jobs grow the prefetch
    slow = queue.enqueue(jobs.touch_then_sleep, str(marker), 1.5)
    behind = [queue.enqueue(jobs.noop).id for _ in range(40)]
    worker = processes.worker("--lease", "5", *mode)
    wait_for_file(marker)
    time.sleep(0.2)  # results of the jobs before it are stored within milliseconds
    prefetched = queue.started_job_registry.get_job_ids()
    assert slow.id in prefetched and len(prefetched) > 1  # jobs were taken behind it
    assert set(before) <= set(queue.finished_job_registry.get_job_ids())

    assert signal_and_wait(worker, signal.SIGTERM) == 0
    assert slow.get_status() == JobStatus.FINISHED  # the running job finished
    assert queue.started_job_registry.count == 0
    assert queue.failed_job_registry.count == 0
    for job_id in set(prefetched) - {slow.id}:
        job = queue.fetch_job(job_id)
        assert job is not None
        assert job.get_status() == JobStatus.QUEUED, job_id  # handed back
        assert job.attempts == 0  # taking it did not count
    assert set(prefetched) - {slow.id} <= set(queue.job_ids)
    burst(queue, connection)
    assert_all_ended(connection, "default", [*before, slow.id, *behind])
    assert queue.finished_job_registry.count == 101


@pytest.mark.parametrize("mode", MODES)
def test_second_sigterm_is_a_cold_shutdown(
    processes: Processes,
    queue: Queue,
    connection: redis.Redis,
    tmp_path: Path,
    mode: list[str],
) -> None:
    marker = tmp_path / "running"
    slow = queue.enqueue(jobs.touch_then_sleep, str(marker), 60)
    rest = [queue.enqueue(jobs.noop).id for _ in range(3)]
    worker = processes.worker("--lease", LEASE, *mode)
    wait_for_file(marker)
    worker.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert signal_and_wait(worker, signal.SIGTERM) == 0
    slow.refresh()
    assert slow.get_status() == JobStatus.QUEUED  # back in the queue, not failed
    assert slow.attempts == 0
    assert queue.job_ids[0] == slow.id  # at the front, where it was
    assert set(rest) <= set(queue.job_ids)
    assert queue.started_job_registry.count == 0
    assert queue.failed_job_registry.count == 0
    assert queue.finished_job_registry.count == 0
