"""The history a real worker records (jobq/lua/includes/history.lua) and what the
reader (jobq.history) makes of it."""

from __future__ import annotations

import pytest
import redis

from jobq import Queue, Retry, SimpleWorker, Worker, defaults, history, keys, transitions
from tests.fixtures import jobs

ADD = "tests.fixtures.jobs.add"
FAIL = "tests.fixtures.jobs.fail"
SLEEP = "tests.fixtures.jobs.sleep"


def run_known_mix(queue: Queue, connection: redis.Redis, *, history_on: bool = True) -> None:
    """6 quick jobs, 2 failing (one retried once first), 2 of 0.3 s."""
    for i in range(6):
        queue.enqueue(jobs.add, i, 1)
    queue.enqueue(jobs.fail)
    queue.enqueue(jobs.fail, retry=Retry(max=1))
    queue.enqueue(jobs.sleep, 0.3)
    queue.enqueue(jobs.sleep, 0.3)
    Worker([queue], connection, name="hist-1", history=history_on).work(burst=True)


def _functions(h: dict[str, object]) -> dict[str, dict[str, object]]:
    return {row["function"]: row for row in h["functions"]}  # type: ignore[attr-defined, index]


def test_worker_counts_outcomes_per_queue_and_function(
    queue: Queue, connection: redis.Redis
) -> None:
    run_known_mix(queue, connection)
    h = history.read_history(connection, [queue.name], "hour")
    summary = h["queues"][queue.name]["summary"]
    assert (summary["finished"], summary["failed"], summary["retried"]) == (8, 2, 1)
    assert summary["reaped"] == 0
    by_func = _functions(h)
    assert by_func[ADD]["finished"] == 6
    assert (by_func[FAIL]["failed"], by_func[FAIL]["retried"]) == (2, 1)
    assert by_func[SLEEP]["finished"] == 2
    # every finished, failed and retried attempt has a run time and a wait time
    day = history.read_history(connection, [queue.name], "day")["queues"][queue.name]
    assert day["summary"]["finished"] == 8
    assert sum(h["queues"][queue.name]["finished"]) == 8


def test_run_time_percentiles_are_within_the_error_bound(
    queue: Queue, connection: redis.Redis
) -> None:
    run_known_mix(queue, connection)
    rows = _functions(history.read_history(connection, [queue.name], "hour"))
    slow = rows[SLEEP]["run"]
    assert isinstance(slow, dict)
    # the job slept 0.3 s; the worker's own overhead adds a little
    assert 0.3 / (1 + history.RELATIVE_ERROR) <= slow["p50"] <= 0.4 * (1 + history.RELATIVE_ERROR)
    fast = rows[ADD]["run"]
    assert isinstance(fast, dict) and fast["p99"] < 0.1
    queue_run = history.read_history(connection, [queue.name])["queues"][queue.name]["run"]
    # the queue's p99 per bucket: the slow jobs show in the bucket they ran in
    assert max(v for v in queue_run["p99"] if v is not None) == slow["p99"]


def test_wait_time_is_enqueue_to_start(queue: Queue, connection: redis.Redis) -> None:
    queue.enqueue(jobs.sleep, 0.5)
    queue.enqueue(jobs.add, 1, 2)  # waits behind the sleeper
    Worker([queue], connection, name="hist-1").work(burst=True)
    rows = _functions(history.read_history(connection, [queue.name]))
    waited = rows[ADD]["wait"]
    assert isinstance(waited, dict)
    assert 0.5 / (1 + history.RELATIVE_ERROR) <= waited["p50"] <= 2.0


def test_history_off_writes_no_history_key(queue: Queue, connection: redis.Redis) -> None:
    run_known_mix(queue, connection, history_on=False)
    assert not connection.keys("*history*")
    assert (
        history.read_history(connection, [queue.name])["queues"][queue.name]["summary"]["finished"]
        == 0
    )


def test_history_keys_share_the_queue_hash_slot(queue: Queue, connection: redis.Redis) -> None:
    run_known_mix(queue, connection)
    tag = "{" + queue.name + "}"
    queue_keys = [k.decode() for k in connection.keys("jobq:{*}:history*")]
    assert queue_keys and all(tag in k for k in queue_keys)
    # buckets expire by themselves: an hour (10 s buckets), a day (1 min buckets)
    ttls = sorted(connection.ttl(k) for k in queue_keys if ":history:1" in k or ":history:6" in k)
    assert ttls and 3600 < ttls[0] <= 3600 + 130 and 86400 < ttls[-1] <= 86400 + 180
    assert connection.ttl(queue.keys.history_total) == -1


def test_workers_alive_and_depth_are_sampled(queue: Queue, connection: redis.Redis) -> None:
    for _ in range(3):
        queue.enqueue(jobs.add, 1, 1)
    Worker([queue], connection, name="hist-1").work(burst=True)
    h = history.read_history(connection, [queue.name], "hour")
    assert h["workers"][-1] >= 1 or h["workers"][-2] >= 1
    depths = [d for d in h["queues"][queue.name]["depth"] if d is not None]
    assert depths and depths[-1] == 0


def test_reaped_jobs_are_counted(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.add, 1, 1)
    transitions.dequeue(connection, queue.keys, "dead-worker", 1, 1)
    now = transitions.now_ms() + 10
    transitions.reap(connection, queue.keys, now=now, history=True)
    h = history.read_history(connection, [queue.name], "hour", now_ms=now)
    assert h["queues"][queue.name]["summary"]["reaped"] == 1
    assert _functions(h)[ADD]["reaped"] == 1
    assert job.get_status() == "queued"


def test_functions_past_the_cap_count_as_other(queue: Queue, connection: redis.Redis) -> None:
    cap = defaults.HISTORY_MAX_FUNCTIONS
    connection.sadd(queue.keys.history_functions, *[f"m.f{i}" for i in range(cap)])
    queue.enqueue(jobs.add, 1, 1)
    Worker([queue], connection, name="hist-1").work(burst=True)
    assert connection.scard(queue.keys.history_functions) == cap
    rows = _functions(history.read_history(connection, [queue.name]))
    assert rows["other"]["finished"] == 1 and ADD not in rows


def test_totals_never_expire_and_feed_counters(queue: Queue, connection: redis.Redis) -> None:
    run_known_mix(queue, connection)
    totals = history.read_totals(connection, [queue.name])[queue.name]
    assert totals.queue.outcomes == {"finished": 8, "failed": 2, "retried": 1, "reaped": 0}
    assert totals.functions[SLEEP].run.total == 2


def test_history_key_names_come_from_keys(queue: Queue) -> None:
    q = keys.QueueKeys("q1")
    assert q.history_keys(1_000_123_456) == [
        "jobq:{q1}:history:10:1000120",
        "jobq:{q1}:history:60:1000080",
        "jobq:{q1}:history:total",
        "jobq:{q1}:history:functions",
    ]


def test_a_job_killed_for_its_timeout_counts_as_failed_with_its_run_time(
    queue: Queue, connection: redis.Redis
) -> None:
    queue.enqueue(jobs.sleep, 30, job_timeout=1)
    Worker([queue], connection, name="hist-1").work(burst=True)
    row = _functions(history.read_history(connection, [queue.name]))[SLEEP]
    assert row["failed"] == 1
    run = row["run"]
    assert isinstance(run, dict) and 1 / (1 + history.RELATIVE_ERROR) <= run["p50"] < 10


def test_a_running_worker_sends_its_history_within_seconds(
    queue: Queue, connection: redis.Redis, processes
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import wait_until

    processes.worker("default", "--name", "hist-live")
    for _ in range(3):
        queue.enqueue(jobs.add, 1, 1)

    def finished() -> int:
        h = history.read_history(connection, [queue.name], "minute")
        return int(h["queues"][queue.name]["summary"]["finished"])

    wait_until(lambda: finished() == 3, timeout=15)


def test_a_broken_history_key_never_holds_up_results(
    queue: Queue, connection: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    connection.set(queue.keys.history_total, "garbage")
    job = queue.enqueue(jobs.add, 1, 2)
    SimpleWorker([queue], connection, name="hist-1").work(burst=True)  # logs here
    assert job.result == 3
    assert connection.get(queue.keys.history_total) == b"garbage"
    assert "history not recorded (-3)" in caplog.text


def test_jobs_the_scheduler_reaps_are_counted(queue: Queue, connection: redis.Redis) -> None:
    from jobq.scheduler.tick import Ticker

    queue.enqueue(jobs.add, 1, 1)
    transitions.dequeue(connection, queue.keys, "dead-worker", 1, 1)
    now = transitions.now_ms() + 10  # past the 1 ms lease
    Ticker(connection).run_once(now)
    h = history.read_history(connection, [queue.name], "hour", now_ms=now)
    assert h["queues"][queue.name]["summary"]["reaped"] == 1
