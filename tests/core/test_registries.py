"""Registries: counts, paging, requeue, cleanup."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from jobq import (
    FailedJobRegistry,
    FinishedJobRegistry,
    Queue,
    StartedJobRegistry,
    transitions,
)
from jobq.exceptions import InvalidJobOperation
from jobq.status import JobStatus
from tests.fixtures import jobs
from tests.helpers import burst


def test_counts_per_registry(queue: Queue, connection: redis.Redis) -> None:
    for i in range(3):
        queue.enqueue(jobs.add, i, i)
    for _ in range(2):
        queue.enqueue(jobs.fail)
    burst(queue, connection)
    assert queue.finished_job_registry.count == 3
    assert len(queue.failed_job_registry) == 2
    assert FailedJobRegistry("default", connection=connection).count == 2
    assert queue.started_job_registry.count == 0
    assert queue.count == 0


def test_started_registry_holds_leased_jobs(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop)
    transitions.dequeue(connection, queue.keys, "w1", 1, 60_000)
    registry = StartedJobRegistry(queue=queue)
    assert registry.get_job_ids() == [job.id]
    assert job in registry
    assert job.get_status() == JobStatus.STARTED


def test_paged_job_ids(queue: Queue, connection: redis.Redis) -> None:
    ids = {queue.enqueue(jobs.add, i, 0).id for i in range(7)}
    burst(queue, connection)
    registry = FinishedJobRegistry(queue=queue)
    everything = registry.get_job_ids()
    assert set(everything) == ids
    # rq's ranks: start to end, both included
    pages = [registry.get_job_ids(start, start + 2) for start in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert pages[0] + pages[1] + pages[2] == everything
    assert registry.get_job_ids(10, 12) == []
    assert registry.get_job_ids(0, 2, desc=True) == everything[::-1][:3]
    # a page of jobs: offset and length
    assert [j.id for j in registry.get_jobs(3, 3)] == pages[1]


def test_requeue_from_the_failed_registry(
    queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    job = queue.enqueue(jobs.fail_until, str(tmp_path / "n"), 1)
    burst(queue, connection)
    registry = queue.failed_job_registry
    assert job in registry
    requeued = registry.requeue(job)
    assert requeued.get_status() == JobStatus.QUEUED
    assert job not in registry
    assert queue.job_ids == [job.id]
    burst(queue, connection)
    assert job.get_status() == JobStatus.FINISHED


def test_requeue_all(queue: Queue, connection: redis.Redis) -> None:
    for _ in range(3):
        queue.enqueue(jobs.fail)
    burst(queue, connection)
    assert queue.failed_job_registry.requeue_all() == 3
    assert queue.failed_job_registry.count == 0
    assert queue.count == 3


def test_only_ended_registries_requeue(queue: Queue) -> None:
    job = queue.enqueue(jobs.noop)
    with pytest.raises(InvalidJobOperation, match="started registry"):
        queue.started_job_registry.requeue(job)


def test_cleanup_drops_expired_entries(queue: Queue, connection: redis.Redis) -> None:
    kept = queue.enqueue(jobs.noop, result_ttl=-1)
    expiring = queue.enqueue(jobs.noop, result_ttl=100)
    burst(queue, connection)
    registry = queue.finished_job_registry
    assert registry.cleanup() == 0
    far_future = transitions.now_ms() + 200_000
    assert registry.cleanup(now_ms=far_future) == 1
    assert registry.get_job_ids() == [kept.id]
    assert expiring not in registry


def test_cleanup_of_started_reaps_expired_leases(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop)
    transitions.dequeue(connection, queue.keys, "dead-worker", 1, 10)
    assert queue.started_job_registry.cleanup(now_ms=transitions.now_ms() + 1000) == 1
    assert job.get_status() == JobStatus.QUEUED
    assert job.reason == "worker died"
    assert queue.job_ids == [job.id]


def test_remove(queue: Queue, connection: redis.Redis) -> None:
    a, b = queue.enqueue(jobs.fail), queue.enqueue(jobs.fail)
    burst(queue, connection)
    registry = queue.failed_job_registry
    registry.remove(a)
    assert a not in registry and a.get_status() == JobStatus.FAILED
    registry.remove(b.id, delete_job=True)
    assert b not in registry and b.get_status() is None
