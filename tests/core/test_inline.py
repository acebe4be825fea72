"""``Queue(is_async=False)``: jobs run at enqueue, through the worker's own steps."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from jobq import Queue, Retry
from jobq.exceptions import InvalidJobOperation
from jobq.hooks import BaseHook
from jobq.job import Job
from jobq.status import JobStatus
from jobq.testing import run_now
from jobq.worker.executor import Outcome
from tests.fixtures import jobs


@pytest.fixture
def inline(connection: redis.Redis) -> Queue:
    return Queue("inline", connection=connection, is_async=False)


def test_job_runs_at_enqueue_with_its_result_stored(inline: Queue) -> None:
    job = inline.enqueue(jobs.add, 2, 3)
    assert job.get_status() == JobStatus.FINISHED
    assert job.result == 5
    assert job.id in inline.finished_job_registry
    assert inline.count == 0


def test_current_job_is_set_inside(inline: Queue) -> None:
    job = inline.enqueue(jobs.current_job_id)
    assert job.result == job.id


def test_failure_keeps_its_traceback(inline: Queue) -> None:
    job = inline.enqueue(jobs.fail, "inline boom")
    assert job.get_status() == JobStatus.FAILED
    assert "ValueError: inline boom" in (job.exc_info or "")
    assert job.id in inline.failed_job_registry


def test_retry_without_interval_runs_again_at_once(inline: Queue, tmp_path: Path) -> None:
    counter = tmp_path / "n"
    job = inline.enqueue(jobs.fail_until, str(counter), 2, retry=Retry(max=2))
    assert job.get_status() == JobStatus.FINISHED
    assert job.result == 3
    assert job.attempts == 3


def test_scheduled_job_is_not_run(inline: Queue) -> None:
    import datetime as dt

    job = inline.enqueue_in(dt.timedelta(hours=1), jobs.add, 1, 1)
    assert job.get_status() == JobStatus.SCHEDULED


def test_result_ttl_zero_still_returns_the_outcome(inline: Queue) -> None:
    job = inline.enqueue(jobs.add, 1, 1, result_ttl=0)
    assert job.get_status(refresh=False) == JobStatus.FINISHED
    assert job.return_value() == 2


def test_hooks_wrap_the_inline_run(connection: redis.Redis) -> None:
    seen: list[str] = []

    class Spy(BaseHook):
        def before_job(self, job: Job) -> None:
            seen.append(f"before:{job.id}")

        def after_job(self, job: Job, outcome: Outcome) -> None:
            seen.append(f"after:{outcome.ok}")

        def close(self) -> None:
            seen.append("close")

    queue = Queue("hooked", connection=connection)
    job = queue.enqueue(jobs.add, 1, 2, at_front=True)
    run_now(queue, job, hooks=[Spy()])
    assert seen == [f"before:{job.id}", "after:True", "close"]
    assert job.result == 3


def test_run_now_refuses_a_job_that_is_not_first(connection: redis.Redis) -> None:
    queue = Queue("busy", connection=connection)
    first = queue.enqueue(jobs.noop)
    second = queue.enqueue(jobs.noop)
    with pytest.raises(InvalidJobOperation, match="ahead of"):
        run_now(queue, second)
    assert queue.get_job_ids() == [first.id, second.id]


def test_enqueue_many_runs_each_job(inline: Queue) -> None:
    jobs_ = inline.enqueue_many([inline.prepare_data(jobs.add, [i, i]) for i in range(3)])
    assert [j.result for j in jobs_] == [0, 2, 4]
