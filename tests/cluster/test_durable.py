"""Durable enqueue on a cluster: the enqueue and its WAIT go to the queue's slot
primary on one connection, so WAIT counts the replicas that have the job."""

from __future__ import annotations

import pytest

from jobq import Queue
from jobq.connection import from_url
from jobq.durability import DurabilityError, Durable
from tests.fixtures import jobs

from .servers import LocalCluster

pytestmark = pytest.mark.slow


def test_durable_enqueue_waits_for_the_slot_primarys_replica(
    cluster_with_replicas: LocalCluster,
) -> None:
    connection = from_url(cluster_with_replicas.url)
    try:
        names = [f"durable-{i}" for i in range(6)]  # spread over the three primaries
        for name in names:
            queue = Queue(name, connection=connection, durable=Durable(replicas=1, fsync=False))
            one = queue.enqueue(jobs.add, 1, 2)
            many = queue.enqueue_many([Queue.prepare_data(jobs.add, (i, i)) for i in range(5)])
            assert queue.count == 6
            assert queue.job_ids == [one.id, *(j.id for j in many)]
        assert set(names) <= {q.name for q in Queue.all(connection)}
        # more replicas than the slot has: written, but refused as not durable
        greedy = Queue("durable-0", connection=connection,
                       durable=Durable(replicas=2, fsync=False, timeout=0.2))  # fmt: skip
        with pytest.raises(DurabilityError, match="replicas 1 of 2"):
            greedy.enqueue(jobs.add, 1, 1)
        assert greedy.count == 7
    finally:
        connection.close()
