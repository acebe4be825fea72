"""Acknowledgements are batched but flushed within milliseconds, even when the next
job in the prefetched batch runs for a long time."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import redis

from jobq import Queue
from jobq.functions import FunctionResolver
from jobq.status import JobStatus
from jobq.worker.consumer import Consumer
from jobq.worker.executor import Executor
from tests.conftest import wait_until
from tests.fixtures import jobs


class Reports:
    def __init__(self) -> None:
        self.lines: list[tuple[str, tuple[str, ...]]] = []

    def took(self, queue: str, job_ids: Sequence[str]) -> None:
        self.lines.append(("took", tuple(job_ids)))

    def started(self, queue: str, job_id: str, timeout: float | None) -> None:
        self.lines.append(("started", (job_id,)))

    def acked(self, queue: str, job_ids: Sequence[str], ok: int, failed: int) -> None:
        self.lines.append(("acked", tuple(job_ids)))


def test_result_is_stored_while_the_next_job_of_the_batch_runs(
    queue: Queue, connection: redis.Redis
) -> None:
    fast = queue.enqueue(jobs.add, 1, 2)
    slow = queue.enqueue(jobs.sleep, 5)
    reports = Reports()
    consumer = Consumer(connection, [queue.keys], "w1", Executor(FunctionResolver()), reports)
    consumer._avg_seconds = 1e-6  # a worker that has seen fast jobs prefetches
    batch = consumer.fetch()
    assert batch is not None and [j.id for j in batch[1]] == [fast.id, slow.id]
    runner = threading.Thread(target=consumer.run_batch, args=batch)
    runner.start()
    try:
        assert fast.wait(timeout=4) == 3  # not held back until the slow job ends
        assert slow.get_status() == JobStatus.STARTED
        # the report follows Redis's reply to the flush, which woke the waiter first
        wait_until(lambda: ("acked", (fast.id,)) in reports.lines, timeout=1.0, interval=0.005)
        assert slow.get_status() == JobStatus.STARTED  # reported before the slow job ended
    finally:
        runner.join(10)
    assert slow.get_status() == JobStatus.FINISHED
    assert reports.lines[-1] == ("acked", (slow.id,))
