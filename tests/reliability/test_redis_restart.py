"""Redis restarted under a running worker: the worker survives, reloads its scripts,
and every job enqueued before and after the restart finishes; none is lost."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import redis

from jobq import Queue, scripts
from jobq.embedded import EmbeddedRedis
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until
from tests.fixtures import jobs
from tests.helpers import assert_all_ended

from .conftest import signal_and_wait

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "mode", [pytest.param([], id="worker"), pytest.param(["--simple"], id="simple")]
)
def test_worker_survives_a_redis_restart(
    processes: Processes,
    redis_server: EmbeddedRedis,
    queue: Queue,
    connection: redis.Redis,
    tmp_path: Path,
    mode: list[str],
) -> None:
    log = tmp_path / "runs"
    before = [queue.enqueue(jobs.sleep_then_mark, 0.05, str(log)).id for _ in range(30)]
    worker = processes.worker("--lease", "2", "--concurrency", "2", *mode)
    wait_until(lambda: log.exists() and len(log.read_text().split()) >= 5, timeout=30)

    redis_server.stop()  # SIGTERM: the append-only file keeps the data
    time.sleep(5.0)  # longer than the lease and than redis-py's own retries (~3 s)
    assert worker.poll() is None
    redis_server.start()

    assert connection.script_exists(scripts.get("dequeue").sha) == [False]  # cache is gone
    after = [queue.enqueue(jobs.sleep_then_mark, 0.01, str(log)).id for _ in range(10)]
    everything = before + after

    def all_ended() -> bool:
        return all(
            j is not None and j.get_status(refresh=False) in (JobStatus.FINISHED, JobStatus.FAILED)
            for j in (queue.fetch_job(i) for i in everything)
        )

    wait_until(all_ended, timeout=60)
    assert_all_ended(connection, "default", everything)
    assert queue.failed_job_registry.count == 0
    assert set(log.read_text().split()) == set(everything)  # each ran (at least once)
    assert connection.script_exists(scripts.get("dequeue").sha) == [True]  # reloaded
    assert worker.poll() is None
    assert signal_and_wait(worker, signal.SIGTERM) == 0
