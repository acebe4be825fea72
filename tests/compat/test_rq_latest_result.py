"""rq's ``job.latest_result(timeout=...)``: block until the job ends, then read it."""

from __future__ import annotations

import threading
import time

from jobq import Queue, SimpleWorker
from tests.fixtures.jobs import add, fail, noop


def _work_soon(queue: Queue, delay: float) -> threading.Timer:
    worker = SimpleWorker([queue], connection=queue.connection)
    timer = threading.Timer(delay, lambda: worker.work(burst=True))
    timer.start()
    return timer


def test_latest_result_with_a_timeout_waits_for_the_job_to_end(queue: Queue) -> None:
    job = queue.enqueue(add, 1, 2)
    timer = _work_soon(queue, 0.3)
    started = time.monotonic()
    try:
        result = job.latest_result(timeout=10)
    finally:
        timer.join()
    assert result is not None and result.return_value == 3
    assert 0.3 <= time.monotonic() - started < 10


def test_latest_result_with_a_timeout_gives_a_failure_as_its_result(queue: Queue) -> None:
    job = queue.enqueue(fail, "no")
    timer = _work_soon(queue, 0.1)
    try:
        result = job.latest_result(timeout=10)
    finally:
        timer.join()
    assert result is not None and result.type is result.Type.FAILED


def test_latest_result_gives_none_when_the_job_did_not_end_in_time(queue: Queue) -> None:
    job = queue.enqueue(noop)
    started = time.monotonic()
    assert job.latest_result(timeout=0.2) is None
    assert time.monotonic() - started >= 0.2
    assert job.latest_result() is None  # no timeout: no wait
