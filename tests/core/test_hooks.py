"""Worker hooks: order, reverse after-hooks, failures logged and never fatal."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pytest
import redis

from jobq import Queue, SimpleWorker
from jobq.hooks import BaseHook, Hooks
from jobq.job import Job
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
