"""Bad input: refused at enqueue with nothing written, or failed at run time while the
worker goes on (unknown functions, garbage in a job hash, garbage ids in the queue)."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from jobq import Queue, Retry
from jobq.status import JobStatus
from tests.fixtures import jobs
from tests.helpers import assert_all_ended, burst


class Unserializable:
    pass


def test_non_json_argument_is_named_and_nothing_is_written(
    queue: Queue, connection: redis.Redis
) -> None:
    with pytest.raises(TypeError, match=r"positional argument 1 of type Unserializable"):
        queue.enqueue(jobs.echo, 1, Unserializable())
    with pytest.raises(TypeError, match=r"keyword argument 'conn' of type Unserializable"):
        queue.enqueue(jobs.echo, conn=Unserializable())
    with pytest.raises(TypeError, match=r"keyword argument 'x' of type Unserializable"):
        queue.enqueue_call(jobs.echo, kwargs={"x": Unserializable()})
    with pytest.raises(TypeError, match="meta cannot be serialized"):
        queue.enqueue(jobs.noop, meta={"x": Unserializable()})
    assert connection.dbsize() == 0


def test_lambda_is_refused_at_enqueue(queue: Queue, connection: redis.Redis) -> None:
    with pytest.raises(ValueError, match="lambdas"):
        queue.enqueue(lambda: None)
    assert connection.dbsize() == 0


@pytest.mark.parametrize(
    "path, reason",
    [
        ("tests.fixtures.jobs.does_not_exist", "function not importable"),
        ("no_such_package.module.func", "function not importable"),
        ("tests.fixtures.jobs.not_callable", "TypeError"),
    ],
)
def test_unknown_function_fails_the_job_and_the_worker_goes_on(
    queue: Queue, connection: redis.Redis, path: str, reason: str
) -> None:
    bad = queue.enqueue(path)
    good = queue.enqueue(jobs.add, 1, 2)
    burst(queue, connection)
    assert bad.get_status() == JobStatus.FAILED
    assert bad.reason == reason
    assert path in (bad.exc_info or "")
    assert good.result == 3


def test_function_outside_the_allowlist_fails(queue: Queue, connection: redis.Redis) -> None:
    bad = queue.enqueue("os.getcwd")
    sneaky = queue.enqueue("tests.fixtures.jobs.os.getcwd")
    good = queue.enqueue(jobs.add, 1, 2)
    burst(queue, connection, allowed_modules=["tests.fixtures.jobs"])
    for job in (bad, sneaky):
        assert job.get_status() == JobStatus.FAILED
        assert job.reason == "function not allowed"
    assert good.result == 3


GARBAGE: list[tuple[str, dict[str, Any]]] = [
    ("payload not json", {"data": b"\x80not json"}),
    ("payload not [args, kwargs]", {"data": b'{"a": 1}'}),
    ("args not a list", {"data": b"[5, {}]"}),
    ("timeout not a number", {"timeout": b"soon"}),
    ("unknown serializer", {"ser": b"yaml"}),
    ("pickle without a key", {"ser": b"pickle"}),
    ("no function", {"func": b""}),
    ("attempts not a number", {"attempts": b"lots"}),
    ("lost not a number", {"lost": b"lots"}),
    ("retry intervals not json", {"max_attempts": b"3", "retry_intervals": b"[oops"}),
    ("retry intervals not numbers", {"max_attempts": b"3", "retry_intervals": b'["x"]'}),
    ("max attempts not a number", {"max_attempts": b"many"}),
    ("failure ttl not a number", {"failure_ttl": b"long"}),
    ("result ttl not a number", {"result_ttl": b"long"}),
    ("progress garbage", {"progress": b"half"}),
    ("deps garbage", {"deps": b"{not json"}),
    ("on_failure garbage", {"on_failure": b"not a path"}),
]


@pytest.mark.parametrize("fields", [f for _, f in GARBAGE], ids=[n for n, _ in GARBAGE])
def test_garbage_in_a_job_hash_fails_that_job_and_the_worker_goes_on(
    queue: Queue,
    connection: redis.Redis,
    fields: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JOBQ_PICKLE_KEY", raising=False)
    before = queue.enqueue(jobs.add, 1, 1)
    bad = queue.enqueue(jobs.fail if "retry_intervals" in fields else jobs.add, 2, 2)
    connection.hset(bad.key, mapping=fields)
    after = queue.enqueue(jobs.add, 3, 3)
    burst(queue, connection)
    assert before.result == 2
    assert after.result == 6
    status = bad.get_status()
    assert status in (JobStatus.FAILED, JobStatus.FINISHED), status
    assert status == JobStatus.FINISHED or bad.reason
    assert queue.started_job_registry.count == 0
    assert queue.count == 0


def test_a_hash_of_pure_garbage_fails(queue: Queue, connection: redis.Redis) -> None:
    connection.hset(queue.keys.job("junk"), mapping={"what": "ever", "status": "nonsense"})
    connection.rpush(queue.keys.queued, "junk")
    good = queue.enqueue(jobs.add, 1, 2)
    burst(queue, connection)
    assert good.result == 3
    assert "junk" in queue.failed_job_registry
    assert connection.hget(queue.keys.job("junk"), "reason") == b"function not importable"


def test_garbage_ids_in_the_queue_are_skipped(queue: Queue, connection: redis.Redis) -> None:
    first = queue.enqueue(jobs.add, 1, 1)
    connection.rpush(queue.keys.queued, "no-such-job", b"\xff\xfe", "with space", "")
    last = queue.enqueue(jobs.add, 2, 2)
    burst(queue, connection)
    assert (first.result, last.result) == (2, 4)
    assert queue.count == 0
    assert queue.started_job_registry.count == 0


def test_retry_policy_survives_garbage_intervals(queue: Queue, connection: redis.Redis) -> None:
    """A job whose retry data was mangled still ends (failed), never stuck in started."""
    job = queue.enqueue(jobs.fail, retry=Retry(max=2, interval=[0, 0]))
    connection.hset(job.key, "retry_intervals", "[null]")
    burst(queue, connection)
    assert_all_ended(connection, queue.name, [job.id])
    job.refresh()
    assert job.attempts == 3


def test_garbage_in_a_dependent_does_not_break_its_dependency(
    queue: Queue, connection: redis.Redis
) -> None:
    a = queue.enqueue(jobs.add, 1, 1)
    b = queue.enqueue(jobs.add, 2, 2, depends_on=a)
    connection.hset(b.key, "pending_deps", "??")
    burst(queue, connection)
    assert_all_ended(connection, queue.name, [a.id, b.id])
    assert b.result == 4


def test_deleting_a_job_with_garbage_dependencies(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop)
    connection.hset(job.key, "deps", "{oops")
    job.delete()
    assert queue.count == 0 and job.get_status() is None


@pytest.mark.parametrize("raw", ["1e308", "inf", "nan", "-5", "2.5", "0x10", "99999999999"])
def test_garbage_max_attempts_never_retries_forever(
    queue: Queue, connection: redis.Redis, raw: str
) -> None:
    """Issue 16: max_attempts of 1e308 gave thousands of attempts and went on."""
    job = queue.enqueue(jobs.fail, retry=Retry(max=2))
    connection.hset(job.key, "max_attempts", raw)
    burst(queue, connection)
    assert_all_ended(connection, queue.name, [job.id])
    job.refresh()
    assert (job.get_status(refresh=False), job.attempts, job.max_attempts) == (
        JobStatus.FAILED, 1, 1,
    )  # fmt: skip


@pytest.mark.parametrize("raw", ["nan", "inf", "1e308", "x", "1_0", " 5"])
def test_garbage_timeout_fails_the_job_with_its_reason(
    queue: Queue, connection: redis.Redis, raw: str
) -> None:
    job = queue.enqueue(jobs.add, 1, 2)
    after = queue.enqueue(jobs.add, 2, 2)
    connection.hset(job.key, "timeout", raw)
    burst(queue, connection)
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.FAILED
    assert job.reason == "bad payload"
    assert "field timeout" in (job.exc_info or "")
    assert after.wait(5) == 4


@pytest.mark.parametrize("raw", ["1e400", "nan", "-inf", "0x10", "1_0"])
def test_garbage_numbers_read_as_their_defaults(
    queue: Queue, connection: redis.Redis, raw: str
) -> None:
    """Counters, TTLs, timestamps and progress holding garbage read as no value (an
    admin page or a hook reading the job does not raise)."""
    job = queue.enqueue(jobs.add, 1, 2)
    for field in ("attempts", "max_attempts", "result_ttl", "failure_ttl", "created", "started"):
        connection.hset(job.key, field, raw)
    connection.hset(job.key, "progress", f"{raw}/{raw}")
    job.refresh()
    # retries_left in rq's meaning: a job without a Retry has none
    assert (job.attempts, job.max_attempts, job.retries_left) == (0, 1, 0)
    assert (job.result_ttl, job.failure_ttl) == (500, 365 * 24 * 3600)
    assert (job.created_at, job.started_at, job.progress) == (None, None, None)


def test_retry_max_is_bounded() -> None:
    with pytest.raises(ValueError, match="below 100000"):
        Retry(max=10**6)
