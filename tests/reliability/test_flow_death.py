"""kill -9 of a worker that holds a concurrency slot: the slot is free again within
the lease (docs/flow-control.md, "Under failure")."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from jobq import Queue, transitions
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until
from tests.fixtures import jobs

from .conftest import LEASE, kill_hard, wait_for_file

pytestmark = pytest.mark.slow


def test_kill_9_of_a_worker_holding_a_concurrency_slot_frees_it_within_the_lease(
    processes: Processes, queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:
    log = tmp_path / "attempts"
    holder = queue.enqueue(
        jobs.sleep_on_first_attempt, str(log), 60, concurrency_key="k", concurrency_limit=1
    )
    first = processes.worker("--lease", LEASE, "--name", "first")
    wait_for_file(log)
    waiting = queue.enqueue(jobs.add, 1, 2, concurrency_key="k", concurrency_limit=1)
    assert connection.zrange(queue.keys.slots("k"), 0, -1) == [holder.id.encode()]
    kill_hard(first.pid)
    killed = time.monotonic()

    # within the lease the dead worker's slot still counts: the waiting job is parked
    assert [i for i, _ in transitions.dequeue(connection, queue.keys, "probe", 1, 5000)] == []
    assert connection.lrange(queue.keys.held("k"), 0, -1) == [waiting.id.encode()]
    connection.lpush(queue.keys.queued, connection.lpop(queue.keys.held("k")))  # as a release

    # past the lease, a taker drops the dead holder's slot and takes it
    time.sleep(float(LEASE) + 0.2)
    taken = transitions.dequeue(connection, queue.keys, "probe", 1, 5000)
    assert [i for i, _ in taken] == [waiting.id]
    assert time.monotonic() - killed < float(LEASE) + 1.0
    assert connection.zrange(queue.keys.slots("k"), 0, -1) == [waiting.id.encode()]
    transitions.finish(connection, queue.keys, "probe", [(waiting.id, b"3")])

    # a live worker reaps the dead one's job; it runs again and releases the slot
    processes.worker("--lease", LEASE, "--name", "second")
    wait_until(lambda: holder.get_status() == JobStatus.FINISHED, timeout=30)
    assert connection.zcard(queue.keys.slots("k")) == 0
