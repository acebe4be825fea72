"""Flow control on real Redis (docs/flow-control.md): unique keys, priorities,
concurrency keys, queue limits; the acceptance runs use two worker processes."""

from __future__ import annotations

import itertools

import pytest
import redis

from jobq import Job, Queue, job
from jobq.flow import Rate
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until
from tests.fixtures import jobs
from tests.helpers import burst


def _results(jobs_: list[Job], timeout: float = 60) -> list[list[float]]:
    for made in jobs_:
        wait_until(lambda made=made: made.get_status() == JobStatus.FINISHED, timeout=timeout)
    return [Job.fetch(j.id, j.connection).result for j in jobs_]


def _started_ms(job: Job) -> int:
    return int(job.connection.hget(job.key, "started") or 0)


# -- unique keys -----------------------------------------------------------------


def test_two_enqueues_with_one_unique_key_give_one_job(
    queue: Queue, connection: redis.Redis
) -> None:
    first = queue.enqueue(jobs.add, 1, 2, unique_key="report:42")
    second = queue.enqueue(jobs.add, 3, 4, unique_key="report:42")
    assert second.id == first.id
    assert queue.count == 1
    assert second.args == [1, 2]  # the existing job, nothing new stored
    burst(queue, connection)
    assert first.get_status() == JobStatus.FINISHED
    third = queue.enqueue(jobs.add, 5, 6, unique_key="report:42")  # released at finish
    assert third.id != first.id


def test_unique_key_is_released_at_start_with_unique_until_start(
    queue: Queue, connection: redis.Redis
) -> None:
    first = queue.enqueue(jobs.add, 1, 2, unique_key="k", unique_until="start")
    from jobq import transitions

    taken = transitions.dequeue(connection, queue.keys, "w", 1, 30_000)
    assert [i for i, _ in taken] == [first.id]
    second = queue.enqueue(jobs.add, 1, 2, unique_key="k", unique_until="start")
    assert second.id != first.id
    assert queue.enqueue(jobs.add, 1, 2, unique_key="k").id == second.id  # one waiting


def test_unique_key_is_released_when_the_job_is_canceled_deleted_or_fails(
    queue: Queue, connection: redis.Redis
) -> None:
    job = queue.enqueue(jobs.add, 1, 2, unique_key="k")
    job.cancel()
    job = queue.enqueue(jobs.add, 1, 2, unique_key="k")
    assert job.get_status() == JobStatus.QUEUED
    job.delete()
    job = queue.enqueue(jobs.fail, unique_key="k")
    burst(queue, connection)
    assert job.get_status() == JobStatus.FAILED
    assert queue.enqueue(jobs.add, 1, 2, unique_key="k").id != job.id
    assert connection.get(queue.keys.unique("k")) is not None


def test_unique_key_of_an_expired_job_is_free_again(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.add, 1, 2, unique_key="k")
    connection.delete(job.key)  # as its ttl would
    assert queue.enqueue(jobs.add, 1, 2, unique_key="k").id != job.id


def test_unique_key_may_be_computed_from_the_arguments(queue: Queue) -> None:
    def key(a: int, b: int) -> str:
        return f"add:{a}"

    a = queue.enqueue(jobs.add, 1, 2, unique_key=key)
    assert queue.enqueue(jobs.add, 1, 5, unique_key=key).id == a.id
    assert queue.enqueue(jobs.add, 2, 5, unique_key=key).id != a.id


def test_rq_unique_true_refuses_a_live_duplicate_job_id(queue: Queue) -> None:
    from jobq.exceptions import DuplicateJobError

    queue.enqueue(jobs.add, 1, 2, job_id="same", unique=True)
    with pytest.raises(DuplicateJobError):
        queue.enqueue(jobs.add, 1, 2, job_id="same", unique=True)


# -- priorities ------------------------------------------------------------------


def test_a_priority_10_job_enqueued_after_five_priority_0_jobs_runs_first(
    queue: Queue, connection: redis.Redis
) -> None:
    plain = [queue.enqueue(jobs.timed, 0) for _ in range(5)]
    urgent = queue.enqueue(jobs.timed, 0, priority=10)
    assert queue.count == 6
    burst(queue, connection)
    # by the time each run began (a batch's jobs share their lease time)
    order = sorted([*plain, urgent], key=lambda j: Job.fetch(j.id, connection).result[0])
    assert order[0].id == urgent.id
    assert [j.id for j in order[1:]] == [j.id for j in plain]


def test_priorities_run_higher_first_fifo_among_equals_negative_after_the_rest(
    queue: Queue, connection: redis.Redis
) -> None:
    from jobq import transitions

    made = [
        queue.enqueue(jobs.noop, priority=p, job_id=f"{name}")
        for name, p in [("a0", 0), ("b5", 5), ("c-1", -1), ("d5", 5), ("e9", 9), ("f0", 0)]
    ]
    assert len(made) == 6
    taken = transitions.dequeue(connection, queue.keys, "w", 10, 30_000)
    assert [i for i, _ in taken] == ["e9", "b5", "d5", "a0", "f0", "c-1"]


def test_a_scheduled_job_with_a_priority_keeps_it_when_due(
    queue: Queue, connection: redis.Redis
) -> None:
    import datetime as dt

    from jobq import transitions

    queue.enqueue(jobs.noop, job_id="plain")
    queue.enqueue_at(dt.datetime.now(dt.UTC), jobs.noop, job_id="later", priority=3)
    transitions.promote(connection, queue.keys)
    taken = transitions.dequeue(connection, queue.keys, "w", 10, 30_000)
    assert [i for i, _ in taken] == ["later", "plain"]


def test_empty_and_cancel_reach_jobs_waiting_by_priority(queue: Queue) -> None:
    job = queue.enqueue(jobs.noop, priority=2)
    job.cancel()
    assert queue.count == 0
    queue.enqueue(jobs.noop, priority=2)
    assert queue.empty() == 1
    assert queue.count == 0


def test_priority_out_of_bounds_is_refused_before_anything_is_sent(queue: Queue) -> None:
    with pytest.raises(ValueError, match="priority"):
        queue.enqueue(jobs.noop, priority=1001)
    with pytest.raises(ValueError, match="concurrency_key"):
        queue.enqueue(jobs.noop, concurrency_limit=2)
    assert queue.count == 0


# -- concurrency keys ------------------------------------------------------------


def test_a_concurrency_key_parks_jobs_beyond_its_limit_and_lets_the_others_pass(
    queue: Queue, connection: redis.Redis
) -> None:
    from jobq import transitions

    keyed = [queue.enqueue(jobs.noop, concurrency_key="t", concurrency_limit=2) for _ in range(4)]
    free = queue.enqueue(jobs.noop)
    taken = [i for i, _ in transitions.dequeue(connection, queue.keys, "w", 10, 30_000)]
    assert taken == [keyed[0].id, keyed[1].id, free.id]
    assert queue.flow_state().held_by_key == {"t": 2}
    transitions.finish(connection, queue.keys, "w", [(keyed[0].id, b"null")])
    taken = [i for i, _ in transitions.dequeue(connection, queue.keys, "w", 10, 30_000)]
    assert taken == [keyed[2].id]  # one slot freed: one parked job let through


def test_twelve_jobs_with_concurrency_limit_2_never_overlap_more_than_2_and_unkeyed_finish_first(
    processes: Processes, queue: Queue
) -> None:
    keyed = [
        queue.enqueue(jobs.timed, 0.3, concurrency_key="tenant:42", concurrency_limit=2)
        for _ in range(12)
    ]
    unkeyed = [queue.enqueue(jobs.timed, 0.05) for _ in range(6)]
    for _ in range(2):
        processes.worker("--concurrency", "3")
    spans = _results(keyed)
    free = _results(unkeyed)
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = list(itertools.accumulate(d for _, d in events))
    assert max(running) == 2  # six workers' slots, never more than the key's limit
    assert max(e for _, e in free) < max(e for _, e in spans)
    assert max(e for _, e in free) < sorted(s for s, _ in spans)[4]  # not behind the keyed


# -- queue limits ----------------------------------------------------------------


def test_limits_are_stored_read_and_cleared(queue: Queue) -> None:
    limits = queue.set_limits(rate="100/m", burst=3, concurrency=5)
    assert (limits.rate, limits.burst, limits.concurrency) == (Rate(100, 60_000), 3, 5)
    assert Queue(queue.name, connection=queue.connection).get_limits() == limits
    assert queue.set_limits(clear=True).rate is None
    with pytest.raises(ValueError, match="COUNT/UNIT"):
        queue.set_limits(rate="fast")


def test_60_jobs_at_20_per_second_take_at_least_2_4_s_and_no_second_holds_more_than_20_plus_burst(
    processes: Processes, queue: Queue
) -> None:
    limits = queue.set_limits(rate="20/s")
    made = [queue.enqueue(jobs.noop) for _ in range(60)]
    for _ in range(2):
        processes.worker()
    _results(made)
    starts = sorted(_started_ms(j) for j in made)
    assert starts[-1] - starts[0] >= 2400
    most = max(sum(1 for t in starts if s <= t < s + 1000) for s in starts)
    assert most <= 20 + limits.burst


def test_a_rate_limited_queue_does_not_hold_up_the_workers_other_queues(
    connection: redis.Redis,
) -> None:
    slow, other = Queue("slow", connection=connection), Queue("other", connection=connection)
    slow.set_limits(rate="1/m")
    held = [slow.enqueue(jobs.noop) for _ in range(3)]
    done = [other.enqueue(jobs.noop) for _ in range(3)]
    from jobq import SimpleWorker

    worker = SimpleWorker([slow, other], connection)
    worker.work(burst=True, max_jobs=4)
    assert [j.get_status() for j in done] == [JobStatus.FINISHED] * 3
    assert [j.get_status() for j in held].count(JobStatus.FINISHED) == 1


def test_queue_concurrency_limit_caps_running_jobs(queue: Queue, connection: redis.Redis) -> None:
    from jobq import transitions

    queue.set_limits(concurrency=2)
    made = [queue.enqueue(jobs.noop) for _ in range(4)]
    taken = transitions.dequeue(connection, queue.keys, "w", 10, 30_000)
    assert [i for i, _ in taken] == [made[0].id, made[1].id]
    assert taken.held_ms is not None
    assert queue.flow_state().held_by_concurrency == 2
    transitions.finish(connection, queue.keys, "w", [(made[0].id, b"null")])
    taken = transitions.dequeue(connection, queue.keys, "w", 10, 30_000)
    assert [i for i, _ in taken] == [made[2].id]


def test_async_enqueue_carries_unique_keys_and_priorities(queue: Queue, redis_url: str) -> None:
    import asyncio

    from jobq import AsyncQueue, transitions

    async def main() -> list[str]:
        aq = AsyncQueue("default", url=redis_url)
        try:
            first = await aq.enqueue(jobs.add, 1, 2, unique_key="a")
            again = await aq.enqueue(jobs.add, 1, 2, unique_key="a")
            urgent = await aq.enqueue(jobs.noop, priority=5)
            assert await aq.count() == 2
            return [first.id, again.id, urgent.id]
        finally:
            await aq.aclose()

    first, again, urgent = asyncio.run(main())
    assert again == first
    taken = transitions.dequeue(queue.connection, queue.keys, "w", 10, 30_000)
    assert [i for i, _ in taken] == [urgent, first]


def _report_key(report_id: int) -> str:
    return f"report:{report_id}"


@job("default", unique_key=_report_key, priority=3)
def report(report_id: int) -> int:
    return report_id


def test_job_decorator_takes_the_flow_options(
    connection: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobq import transitions

    monkeypatch.setenv("JOBQ_REDIS_URL", redis_url)  # the decorator's queue connects by it
    plain = Queue("default", connection=connection).enqueue(jobs.noop)
    first = report.delay(42)
    assert report.delay(42).id == first.id
    other = report.delay(7, priority=0)  # a call's option overrides the decorator's
    keys = Queue("default", connection=connection).keys
    ids = [i for i, _ in transitions.dequeue(connection, keys, "w", 10, 30_000)]
    assert ids == [first.id, plain.id, other.id]


def test_deleting_a_queue_deletes_the_jobs_parked_behind_a_key(
    queue: Queue, connection: redis.Redis
) -> None:
    from jobq import transitions

    made = [queue.enqueue(jobs.noop, concurrency_key="k", concurrency_limit=1) for _ in range(3)]
    transitions.dequeue(connection, queue.keys, "w", 10, 30_000)
    assert queue.flow_state().held_by_key == {"k": 2}
    queue.delete()
    assert [j.get_status() for j in made] == [None, None, None]
    assert connection.keys("*") == []
