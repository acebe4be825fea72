"""Worker hooks: order, reverse after-hooks, failures logged and never fatal."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis

from jobq import Queue, Retry, SimpleWorker
from jobq.hooks import Acked, BaseHook, BaseSendHook, Hooks
from jobq.job import Job
from jobq.queue import PreparedJob
from jobq.status import JobStatus
from jobq.worker.executor import Outcome
from tests.fixtures import jobs


class Recorder(BaseHook):
    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    def before_job(self, job: Job) -> None:
        self.log.append(f"{self.name}.before")
        if self.fail:
            raise RuntimeError("hook broke")

    def after_job(self, job: Job, outcome: Outcome) -> None:
        self.log.append(f"{self.name}.after:{'ok' if outcome.ok else 'failed'}")
        if self.fail:
            raise RuntimeError("hook broke")

    def idle(self) -> None:
        self.log.append(f"{self.name}.idle")

    def close(self) -> None:
        self.log.append(f"{self.name}.close")


def test_after_hooks_run_in_reverse(queue: Queue, connection: redis.Redis) -> None:
    log: list[str] = []
    queue.enqueue(jobs.add, 1, 2)
    worker = SimpleWorker([queue], connection, hooks=[Recorder("a", log), Recorder("b", log)])
    worker.work(burst=True)
    assert log == ["a.before", "b.before", "b.after:ok", "a.after:ok", "b.close", "a.close"]


def test_failing_hook_is_logged_and_the_job_still_finishes(
    queue: Queue, connection: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[str] = []
    job = queue.enqueue(jobs.add, 2, 2)
    worker = SimpleWorker([queue], connection, hooks=[Recorder("bad", log, fail=True)])
    with caplog.at_level(logging.ERROR, logger="jobq.worker"):
        worker.work(burst=True)
    assert job.result == 4
    assert "hook Recorder.before_job failed for job" in caplog.text
    assert "hook Recorder.after_job failed" in caplog.text


def test_after_hook_sees_the_failure(queue: Queue, connection: redis.Redis) -> None:
    log: list[str] = []
    queue.enqueue(jobs.fail)
    SimpleWorker([queue], connection, hooks=[Recorder("a", log)]).work(burst=True)
    assert "a.after:failed" in log


def test_control_flow_exceptions_propagate() -> None:
    class Stop(BaseHook):
        def idle(self) -> None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Hooks([Stop()]).idle()


def test_before_fork_runs_in_the_supervisor(
    queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    from jobq import Worker

    marker = tmp_path / "forks"

    class ForkSpy(BaseHook):
        def before_fork(self) -> None:
            with open(marker, "a") as f:
                f.write("fork\n")

    queue.enqueue(jobs.noop)
    Worker([queue], connection, concurrency=2, hooks=[ForkSpy()]).work(burst=True)
    assert marker.read_text().count("fork") >= 2


def test_lost_job_is_reported_by_the_supervisor(
    queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    from jobq import Worker

    marker = tmp_path / "lost"

    class LostSpy(BaseHook):
        def lost_job(self, job: Job) -> None:
            marker.write_text(f"{job.id} {job.get_status(refresh=False)} {job.reason}")

    job = queue.enqueue(jobs.kill_self)
    Worker([queue], connection, hooks=[LostSpy()]).work(burst=True)
    assert marker.read_text() == f"{job.id} failed worker child died"


def test_changes_outside_a_worker_reach_the_change_listeners(
    queue: Queue, connection: redis.Redis
) -> None:
    from jobq import hooks

    told: list[tuple[str, list[str]]] = []

    def listener(conn: redis.Redis, name: str, job_ids: Sequence[str]) -> None:
        told.append((name, list(job_ids)))

    hooks.add_change_listener(listener)
    try:
        a, b, c = (queue.enqueue(jobs.noop) for _ in range(3))
        a.cancel()
        a.requeue()
        b.delete()
        assert queue.empty() == 2
        assert told == [
            ("default", [a.id]),
            ("default", [a.id]),
            ("default", [b.id]),
            ("default", [c.id, a.id]),
        ]
    finally:
        hooks.remove_change_listener(listener)


class Journal(BaseHook):
    """Writes down every life-cycle call it gets, with the job's function."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def _note(self, what: str, job: Job) -> None:
        self.log.append(f"{self.name}.{what}:{job.func_name.rsplit('.', 1)[-1]}")

    def dequeued(self, jobs_: Sequence[Job]) -> None:
        for job in jobs_:
            self._note("dequeued", job)

    def before_job(self, job: Job) -> None:
        self._note("before", job)

    def after_job(self, job: Job, outcome: Outcome) -> None:
        self._note("after", job)

    def after_ack(self, job: Job, outcome: Outcome, acked: Acked) -> None:
        self._note(f"ack={acked.value}", job)

    def on_failure(self, job: Job, outcome: Outcome) -> None:
        self._note("on_failure", job)

    def on_retry(self, job: Job, outcome: Outcome) -> None:
        self._note("on_retry", job)

    def late_result(self, job: Job, outcome: Outcome) -> None:
        self._note("late_result", job)


def test_hook_order_over_a_job_that_finishes(queue: Queue, connection: redis.Redis) -> None:
    log: list[str] = []
    queue.enqueue(jobs.add, 1, 2)
    SimpleWorker([queue], connection, hooks=[Journal("a", log), Journal("b", log)]).work(burst=True)
    assert log == [
        "a.dequeued:add", "b.dequeued:add",
        "a.before:add", "b.before:add",
        "b.after:add", "a.after:add",
        "b.ack=finished:add", "a.ack=finished:add",
    ]  # fmt: skip


def test_hook_order_over_a_failure_a_retry_and_a_failure_for_good(
    queue: Queue, connection: redis.Redis
) -> None:
    log: list[str] = []
    queue.enqueue(jobs.fail, retry=Retry(max=1))
    SimpleWorker([queue], connection, hooks=[Journal("a", log), Journal("b", log)]).work(burst=True)
    attempt = [
        "a.dequeued:fail", "b.dequeued:fail",
        "a.before:fail", "b.before:fail",
        "b.after:fail", "a.after:fail",
    ]  # fmt: skip
    assert log == [
        *attempt, "b.ack=retried:fail", "a.ack=retried:fail", "b.on_retry:fail", "a.on_retry:fail",
        *attempt, "b.ack=failed:fail", "a.ack=failed:fail", "b.on_failure:fail", "a.on_failure:fail",
    ]  # fmt: skip


def test_a_result_after_the_lease_was_reaped_is_reported_late(
    queue: Queue, connection: redis.Redis
) -> None:
    log: list[str] = []
    job = queue.enqueue(jobs.lose_own_lease)
    SimpleWorker([queue], connection, hooks=[Journal("a", log)]).work(burst=True)
    assert log[-2:] == ["a.ack=lease_lost:lose_own_lease", "a.late_result:lose_own_lease"]
    assert job.get_status() == JobStatus.FAILED and job.reason == "worker died"


def test_hook_order_of_an_inline_run(connection: redis.Redis) -> None:
    log: list[str] = []
    inline = Queue("inline", connection=connection, is_async=False)
    from jobq.testing import run_now

    job = inline.enqueue(jobs.add, 2, 3)
    assert job.result == 5
    queued = Queue("inline", connection=connection).enqueue(jobs.add, 3, 4)
    run_now(inline, queued, hooks=[Journal("a", log)])
    assert log == ["a.dequeued:add", "a.before:add", "a.after:add", "a.ack=finished:add"]


def test_a_hook_written_against_the_older_protocol_still_works(
    queue: Queue, connection: redis.Redis
) -> None:
    class Old:  # no BaseHook, none of the newer methods
        def __init__(self) -> None:
            self.seen: list[str] = []

        def before_job(self, job: Job) -> None:
            self.seen.append("before")

        def after_job(self, job: Job, outcome: Outcome) -> None:
            self.seen.append("after")

        def lost_job(self, job: Job) -> None: ...
        def idle(self) -> None: ...
        def before_fork(self) -> None: ...
        def close(self) -> None: ...

    old = Old()
    job = queue.enqueue(jobs.add, 1, 1)
    SimpleWorker([queue], connection, hooks=[old]).work(burst=True)
    assert old.seen == ["before", "after"] and job.result == 2


class SendJournal(BaseSendHook):
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def before_send(self, queue: Queue, jobs_: Sequence[PreparedJob]) -> None:
        self.log.append(f"{self.name}.before_send:{len(jobs_)}")

    def after_send(self, queue: Queue, jobs_: Sequence[Job]) -> None:
        statuses = ",".join(str(j.get_status(refresh=False)) for j in jobs_)
        self.log.append(f"{self.name}.after_send:{statuses}")


def test_send_hooks_wrap_every_enqueue_outermost_first(connection: redis.Redis) -> None:
    log: list[str] = []
    queue = Queue("sent", connection, send_hooks=[SendJournal("a", log), SendJournal("b", log)])
    queue.enqueue(jobs.add, 1, 2)
    queue.enqueue_many([Queue.prepare_data(jobs.noop), Queue.prepare_data(jobs.noop)])
    assert log == [
        "a.before_send:1", "b.before_send:1", "b.after_send:queued", "a.after_send:queued",
        "a.before_send:2", "b.before_send:2",
        "b.after_send:queued,queued", "a.after_send:queued,queued",
    ]  # fmt: skip


def test_a_send_hook_may_hold_the_send_back(connection: redis.Redis) -> None:
    held: list[Callable[[], list[Job]]] = []

    class Hold:
        def around_send(
            self, queue: Queue, jobs_: Sequence[PreparedJob], send: Any, pipeline: Any
        ) -> list[Job]:
            held.append(send)
            return [queue.make_job(p, 0) for p in jobs_]

    queue = Queue("held", connection, send_hooks=[Hold()])
    job = queue.enqueue(jobs.add, 1, 2)
    assert queue.count == 0 and not Job.exists(job.id, connection)
    held.pop()()
    assert queue.job_ids == [job.id]


def test_a_failing_send_hook_fails_the_enqueue(connection: redis.Redis) -> None:
    class Refuse(BaseSendHook):
        def before_send(self, queue: Queue, jobs_: Sequence[PreparedJob]) -> None:
            raise PermissionError("not now")

    queue = Queue("refused", connection, send_hooks=[Refuse()])
    with pytest.raises(PermissionError, match="not now"):
        queue.enqueue(jobs.add, 1, 2)
    assert queue.count == 0
