"""Job: loading, attributes, results and errors, meta/progress, cancel/requeue/delete, wait."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.client import Pipeline

import jobq
from jobq import Job, Queue, Retry
from jobq.connection import from_url
from jobq.exceptions import InvalidJobOperation, JobFailedError, NoSuchJobError
from jobq.status import JobStatus
from tests.fixtures import jobs
from tests.helpers import burst, later


def test_fetch_and_fetch_many(connection: redis.Redis) -> None:
    a = Queue("a", connection).enqueue(jobs.add, 1, 2)
    b = Queue("b", connection).enqueue(jobs.noop)
    assert Job.fetch(a.id, connection).origin == "a"
    assert Job.fetch(b.id, connection, queue="b").get_id() == b.id
    with pytest.raises(NoSuchJobError, match="in queue 'a'"):
        Job.fetch(b.id, connection, queue="a")
    with pytest.raises(NoSuchJobError):
        Job.fetch("nope", connection)
    many = Job.fetch_many([b.id, "nope", a.id], connection)
    assert [j.id if j else None for j in many] == [b.id, None, a.id]
    assert [j.origin if j else None for j in many] == ["b", None, "a"]
    assert Job.exists(a.id, connection)
    assert not Job.exists("nope", connection)


def test_status_timestamps_and_result_after_a_run(queue: Queue, connection: redis.Redis) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    job = queue.enqueue(jobs.add, 20, b=22)
    assert job.get_status() == JobStatus.QUEUED
    assert job.is_queued
    assert job.result is None and job.return_value() is None
    assert job.started_at is None and job.ended_at is None
    burst(queue, connection)
    assert job.get_status() == JobStatus.FINISHED
    assert job.is_finished
    assert job.result == 42
    assert job.return_value() == 42
    assert job.args == [20] and job.kwargs == {"b": 22}
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    stamps = [job.created_at, job.enqueued_at, job.started_at, job.ended_at]
    assert all(s is not None and s.tzinfo is not None for s in stamps)
    assert before <= stamps[0] <= stamps[1] <= stamps[2] <= stamps[3] <= after  # type: ignore[operator]
    assert job.attempts == 1
    assert job.worker_name


def test_exc_info_and_reason_of_a_failed_job(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.fail, "kaboom")
    burst(queue, connection)
    assert job.get_status() == JobStatus.FAILED
    assert job.is_failed
    assert job.reason == "ValueError"
    assert job.exc_info is not None
    assert "Traceback (most recent call last)" in job.exc_info
    assert "in fail\n    raise ValueError(message)" in job.exc_info
    assert job.exc_info.rstrip().endswith("ValueError: kaboom")
    assert job.result is None


def test_meta_save_meta_and_refresh(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop, meta={"a": 1})
    job.meta["b"] = dt.date(2024, 1, 2)
    job.save_meta()
    assert Job.fetch(job.id, connection).meta == {"a": 1, "b": dt.date(2024, 1, 2)}


def test_meta_written_inside_the_job(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.write_meta, "seen", "yes")
    burst(queue, connection)
    job.refresh()
    assert job.meta == {"seen": "yes"}


def test_progress_inside_the_job(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.progress, 3, 0)
    assert job.progress is None
    burst(queue, connection)
    job.refresh()
    assert job.progress == (3, 3)
    with pytest.raises(ValueError, match="progress"):
        job.set_progress(1, 0)


def test_save_meta_of_a_vanished_job_raises(queue: Queue) -> None:
    job = queue.enqueue(jobs.noop)
    job.delete()
    job.meta["x"] = 1
    with pytest.raises(NoSuchJobError):
        job.save_meta()


def test_attempts_count_every_run(queue: Queue, connection: redis.Redis, tmp_path: Path) -> None:
    job = queue.enqueue(jobs.fail_until, str(tmp_path / "n"), 2, retry=Retry(max=3))
    assert job.max_attempts == 4
    burst(queue, connection)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.attempts == 3
    assert job.result == 3


def test_retries_exhausted(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.fail, retry=Retry(max=2))
    burst(queue, connection)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert job.attempts == 3
    assert job.retries_left == 0


def test_cancel_a_queued_job(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop)
    job.cancel()
    assert job.get_status() == JobStatus.CANCELED
    assert job.is_canceled
    assert queue.count == 0
    assert job.id in queue.canceled_job_registry
    burst(queue, connection)
    assert job.get_status() == JobStatus.CANCELED
    with pytest.raises(InvalidJobOperation):
        job.cancel()


def test_cancel_job_and_requeue_job_helpers(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.add, 1, 1)
    jobq.cancel_job(job.id, connection)
    assert job.get_status() == JobStatus.CANCELED
    requeued = jobq.requeue_job(job.id, connection)
    assert requeued.get_status() == JobStatus.QUEUED
    jobq.cancel_job(job.id)  # default connection (JOBQ_REDIS_URL)
    assert job.get_status() == JobStatus.CANCELED


def test_requeue_a_failed_job(queue: Queue, connection: redis.Redis, tmp_path: Path) -> None:
    job = queue.enqueue(jobs.fail_until, str(tmp_path / "n"), 1)
    burst(queue, connection)
    assert job.get_status() == JobStatus.FAILED
    job.requeue()
    assert job.get_status() == JobStatus.QUEUED
    assert job.attempts == 0
    assert job.id not in queue.failed_job_registry
    burst(queue, connection)
    assert job.get_status() == JobStatus.FINISHED
    assert job.result == 2


def test_requeue_a_queued_job_is_refused(queue: Queue) -> None:
    job = queue.enqueue(jobs.noop)
    with pytest.raises(InvalidJobOperation, match="requeue"):
        job.requeue()


def test_delete(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop)
    job.delete()
    assert queue.count == 0
    assert job.get_status() is None
    with pytest.raises(NoSuchJobError):
        Job.fetch(job.id, connection)
    with pytest.raises(NoSuchJobError):
        job.delete()


# -- wait -------------------------------------------------------------------------


class CommandLog:
    """Records the round trips of a client: each command sent alone, each pipeline
    (as the list of its command names)."""

    def __init__(self, client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
        self.trips: list[list[str]] = []
        real = client.execute_command
        real_execute = Pipeline.execute

        def spy(*args: Any, **options: Any) -> Any:
            self.trips.append([str(args[0]).upper()])
            return real(*args, **options)

        def spy_execute(pipe: Pipeline, *a: Any, **k: Any) -> Any:
            if pipe.connection_pool is client.connection_pool:
                self.trips.append([str(args[0]).upper() for args, _ in pipe.command_stack])
            return real_execute(pipe, *a, **k)

        monkeypatch.setattr(client, "execute_command", spy)
        monkeypatch.setattr(Pipeline, "execute", spy_execute)


@pytest.fixture
def waiter(redis_url: str) -> Any:
    client = from_url(redis_url)
    yield client
    client.close()


def test_wait_returns_the_result_woken_by_redis_not_by_polling(
    queue: Queue, connection: redis.Redis, waiter: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = queue.enqueue(jobs.add, 2, 3)
    handle = Job.fetch(job.id, waiter)
    log = CommandLog(waiter, monkeypatch)
    thread = later(0.6, lambda: burst(queue, connection))
    began = time.monotonic()
    assert handle.wait(timeout=30) == 5
    waited = time.monotonic() - began
    thread.join()
    assert waited >= 0.5  # it did wait for the worker
    # one round trip: the registration, one blocking pop and the final read; no polling
    assert log.trips == [["EVAL", "BLPOP", "HGETALL"]]


def test_wait_raises_the_remote_error(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.fail, "remote boom")
    thread = later(0.2, lambda: burst(queue, connection))
    with pytest.raises(JobFailedError, match="ValueError: remote boom") as info:
        job.wait(timeout=30)
    thread.join()
    assert info.value.job_id == job.id
    assert "Remote traceback" in str(info.value)
    assert "raise ValueError(message)" in info.value.exc_info


def test_wait_times_out(queue: Queue) -> None:
    job = queue.enqueue(jobs.noop)
    began = time.monotonic()
    with pytest.raises(TimeoutError, match=job.id):
        job.wait(timeout=0.3)
    assert time.monotonic() - began >= 0.3
    assert job.get_status() == JobStatus.QUEUED


def test_wait_on_an_ended_job_returns_at_once(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.add, 1, 1)
    burst(queue, connection)
    assert job.wait(timeout=0.01) == 2
    assert Job.fetch(job.id, connection).wait() == 2


def test_wait_on_a_canceled_job_raises(queue: Queue) -> None:
    job = queue.enqueue(jobs.noop)
    thread = later(0.2, job.cancel)
    with pytest.raises(JobFailedError, match="canceled"):
        job.wait(timeout=30)
    thread.join()


@pytest.mark.parametrize("how", ["delete the job", "empty its queue", "delete its queue"])
def test_wait_on_a_job_removed_meanwhile_raises_no_such_job(
    queue: Queue, connection: redis.Redis, how: str
) -> None:
    if how == "delete its queue":  # a job in a registry, not in the queued list
        job = queue.enqueue_in(dt.timedelta(hours=1), jobs.noop)
    else:
        job = queue.enqueue(jobs.noop)
    remove = {
        "delete the job": Job.fetch(job.id, connection).delete,
        "empty its queue": queue.empty,
        "delete its queue": queue.delete,
    }[how]
    thread = later(0.2, remove)
    began = time.monotonic()
    with pytest.raises(NoSuchJobError):
        job.wait(timeout=10)
    thread.join()
    assert time.monotonic() - began < 9  # woken by the removal, not by the timeout
    assert connection.exists(queue.keys.job(job.id)) == 0


def test_wait_returns_the_result_of_a_job_that_keeps_none(
    queue: Queue, connection: redis.Redis
) -> None:
    """``result_ttl=0``: nothing is kept, but a caller already waiting gets the outcome."""
    job = queue.enqueue(jobs.add, 2, 3, result_ttl=0)
    thread = later(0.3, lambda: burst(queue, connection))
    assert job.wait(timeout=30) == 5
    thread.join()
    assert queue.finished_job_registry.get_job_ids() == []
    assert 0 < connection.pttl(queue.keys.job(job.id)) <= 60_000  # gone with the wake-up
    unwatched = queue.enqueue(jobs.add, 1, 1, result_ttl=0)
    burst(queue, connection)
    assert connection.exists(queue.keys.job(unwatched.id)) == 0


def test_wait_longer_than_the_clients_socket_timeout(
    queue: Queue, connection: redis.Redis, redis_url: str
) -> None:
    """redis-py 8 reads with a 5 s socket timeout by default; a long wait must not
    end in a TimeoutError from the socket (here: 0.5 s, no retries)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry as RedisRetry

    client = from_url(redis_url, socket_timeout=0.5, retry=RedisRetry(NoBackoff(), 0))
    try:
        job = queue.enqueue(jobs.add, 1, 2)
        thread = later(1.5, lambda: burst(queue, connection))
        assert Job.fetch(job.id, client).wait(timeout=30) == 3
        thread.join()
        other = queue.enqueue(jobs.add, 2, 2)
        thread = later(1.2, lambda: burst(queue, connection))
        assert Job.fetch(other.id, client).wait() == 4  # no timeout at all
        thread.join()
    finally:
        client.close()


def test_a_long_wait_registers_once_and_takes_it_back_when_it_gives_up(
    queue: Queue, redis_url: str
) -> None:
    # slices of half the socket timeout; a socket timeout this short that a loaded
    # machine can overrun makes redis-py send the registering round trip again
    client = from_url(redis_url, socket_timeout=1.0)
    try:
        job = queue.enqueue(jobs.noop)
        seen: list[bytes | None] = []
        # read the count in the third slice (each slice blocks 0.5 s)
        reader = later(1.25, lambda: seen.append(queue.connection.hget(job.key, "waiters")))
        with pytest.raises(TimeoutError):
            Job.fetch(job.id, client).wait(timeout=2.2)
        reader.join()
        assert seen == [b"1"]
        assert queue.connection.hget(job.key, "waiters") is None
    finally:
        client.close()


def test_fetch_restricted_to_an_empty_queue_object(connection: redis.Redis) -> None:
    """An empty Queue is falsy (it has __len__); fetch must still look only in it."""
    elsewhere = Queue("b", connection).enqueue(jobs.noop)
    empty = Queue("a", connection)
    with pytest.raises(NoSuchJobError, match="in queue 'a'"):
        Job.fetch(elsewhere.id, connection, queue=empty)
