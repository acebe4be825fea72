"""The history on a 3-master Redis Cluster (and the Sentinel setup): its keys share
the queue's hash slot, so the finish, fail and reap steps write them, and the
reader and the Prometheus text read them back."""

from __future__ import annotations

import pytest
import redis

from jobq import Queue, history, metrics
from jobq.cli.info import collect
from jobq.connection import is_cluster
from tests.core.test_history import (
    run_known_mix,
    test_reaped_jobs_are_counted,
    test_totals_never_expire_and_feed_counters,
    test_worker_counts_outcomes_per_queue_and_function,
)

pytestmark = pytest.mark.usefixtures("default_url")

__all__ = [
    "test_reaped_jobs_are_counted",
    "test_totals_never_expire_and_feed_counters",
    "test_worker_counts_outcomes_per_queue_and_function",
]


def test_history_keys_live_in_the_queue_slot(queue: Queue, connection: redis.Redis) -> None:
    run_known_mix(queue, connection)
    k = queue.keys
    if is_cluster(connection):
        slot = connection.keyslot(k.queued)  # type: ignore[attr-defined]
        for key in k.history_keys(history.now_ms()):
            assert connection.keyslot(key) == slot  # type: ignore[attr-defined]
    h = history.read_history(connection, [queue.name], "hour")
    assert h["queues"][queue.name]["summary"]["failed"] == 2
    assert max(h["workers"]) >= 1  # workers' buckets: plain keys, any node
    text = metrics.prometheus_text(
        metrics.with_totals(connection, collect(connection, [queue.name]))
    )
    assert f'jobq_jobs_total{{queue="{queue.name}",function="tests.fixtures.jobs.fail",' in text
