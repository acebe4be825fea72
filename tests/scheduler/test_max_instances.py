"""``max_instances``: a slot whose earlier run is still queued or running is skipped,
and the skip is that slot's recorded outcome (docs/flow-control.md)."""

from __future__ import annotations

import itertools

import pytest
import redis

from jobq import Job
from jobq.scheduler import Scheduler
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until

from .test_processes import runs_of, slot_ms, soon, start_scheduler, start_worker

TIMED = "tests.fixtures.jobs.timed"


def test_a_2_second_job_every_second_with_max_instances_1_never_overlaps_and_records_skips(
    processes: Processes, connection: redis.Redis
) -> None:
    for _ in range(2):
        start_worker(processes, connection)
    start_scheduler(processes)
    s = Scheduler(connection=connection).schedule(
        soon(), TIMED, args=[2], interval=1, max_instances=1
    )
    wait_until(
        lambda: sum(j.get_status() == JobStatus.FINISHED for j in runs_of(connection, s)) >= 3,
        timeout=40,
    )
    runs = runs_of(connection, s)
    done = [j for j in runs if j.get_status() == JobStatus.FINISHED]
    skipped = [j for j in runs if j.get_status() == JobStatus.SKIPPED]
    spans = sorted(Job.fetch(j.id, connection).result for j in done)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end  # never two runs at once
    assert len(skipped) >= 2
    for job in skipped:
        assert job.reason is not None and job.reason.startswith("skipped: run ")
        assert "max_instances=1" in job.reason
    slots = sorted(slot_ms(j) for j in runs)
    assert all(b - a == 1000 for a, b in itertools.pairwise(slots))  # every slot has its outcome


def test_max_instances_must_be_a_positive_whole_number(connection: redis.Redis) -> None:
    with pytest.raises(ValueError, match="max_instances"):
        Scheduler(connection=connection).schedule(soon(), TIMED, args=[0], max_instances=0)
