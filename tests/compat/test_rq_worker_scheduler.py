"""rq's ``work(with_scheduler=True)``: the worker becomes the scheduler of its own
queues (``worker.scheduler``), holding their locks while it runs and giving them and
its record back when it stops, also when its burst pass fails."""

from __future__ import annotations

import signal

import pytest
import redis

from jobq import Queue, SimpleWorker
from jobq.scheduler import RQScheduler
from tests.conftest import Processes, wait_until


def test_burst_worker_without_scheduler_has_none(connection: redis.Redis) -> None:
    worker = SimpleWorker(["a"], connection=connection)
    worker.work(burst=True)
    assert worker.scheduler is None


def test_burst_worker_with_scheduler_gives_locks_and_record_back(connection: redis.Redis) -> None:
    worker = SimpleWorker(["a"], connection=connection)
    worker.work(burst=True, with_scheduler=True)
    assert isinstance(worker.scheduler, RQScheduler)
    assert worker.scheduler._queue_names == {"a"}
    assert not connection.exists(RQScheduler.get_locking_key("a"))
    assert not connection.exists(worker.scheduler.key)


def test_failing_burst_pass_raises_and_still_releases(
    connection: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: RQScheduler) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(RQScheduler, "enqueue_scheduled_jobs", boom)
    worker = SimpleWorker(["a"], connection=connection)
    with pytest.raises(RuntimeError, match="boom"):
        worker.work(burst=True, with_scheduler=True)
    assert worker.scheduler is not None
    assert not connection.exists(RQScheduler.get_locking_key("a"))
    assert not connection.exists(worker.scheduler.key)
    assert SimpleWorker.all(connection) == []  # the worker's own record went too


def test_running_worker_holds_its_queues_scheduler_lock_until_it_stops(
    processes: Processes, connection: redis.Redis
) -> None:
    queue = Queue("a", connection=connection)
    proc = processes.worker("a", "--with-scheduler")
    wait_until(lambda: queue.scheduler_pid == proc.pid, timeout=30)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert queue.scheduler_pid is None
    assert not connection.exists(RQScheduler.get_locking_key("a"))
