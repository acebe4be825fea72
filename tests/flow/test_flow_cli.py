"""``jobq limits`` and ``jobq info``: a queue's limits, what each holds back, unique
keys held (docs/flow-control.md, "Seeing and changing limits")."""

from __future__ import annotations

import json

import pytest
import redis
from click.testing import CliRunner, Result

from jobq import Queue, transitions
from jobq.cli import main
from jobq.flow import Rate
from tests.fixtures import jobs


@pytest.fixture
def jobq_cli(redis_url: str) -> object:
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["--url", redis_url, *args], catch_exceptions=False)

    return run


def test_jobq_limits_sets_shows_and_clears_a_queues_limits(jobq_cli, queue: Queue) -> None:  # type: ignore[no-untyped-def]
    result = jobq_cli("limits", "default", "--rate", "20/s", "--concurrency", "5")
    assert result.exit_code == 0, result.output
    assert "default: limits rate 20/s, concurrency 5" in result.output
    assert queue.get_limits().rate == Rate(20, 1000)
    result = jobq_cli("limits", "default", "--clear")
    assert "default: limits none" in result.output
    assert queue.get_limits().concurrency is None
    bad = jobq_cli("limits", "default", "--rate", "fast")
    assert bad.exit_code == 2
    assert "COUNT/UNIT" in bad.output


def test_jobq_info_shows_limits_what_they_hold_back_and_unique_keys(  # type: ignore[no-untyped-def]
    jobq_cli, queue: Queue, connection: redis.Redis
) -> None:
    queue.set_limits(concurrency=1)
    for i in range(3):
        queue.enqueue(jobs.noop, concurrency_key="t", concurrency_limit=1, unique_key=f"u{i}")
    queue.enqueue(jobs.noop, priority=4)
    transitions.dequeue(connection, queue.keys, "w", 10, 30_000)  # takes the priority job
    stats = json.loads(jobq_cli("info", "--json").output)
    flow = stats["flow"]["default"]
    assert flow["concurrency"] == 1
    assert flow["held_by_concurrency"] == 3
    assert flow["unique_keys"] == 3
    assert stats["queues"]["default"]["queued"] == 3
    table = jobq_cli("info").output
    assert "default: limits concurrency 1; held back: concurrency 3" in table
    assert "unique keys held 3" in table
