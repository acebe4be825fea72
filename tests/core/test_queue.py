"""Queue: rq's enqueue family, reading, emptying, deleting, ids."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import redis
from redis.client import Pipeline

from jobq import Dependency, Job, Queue, Retry
from jobq.exceptions import DuplicateJobError, NoSuchJobError
from jobq.keys import QUEUES
from jobq.status import JobStatus
from jobq.timeutil import to_ms
from tests.fixtures import jobs
from tests.helpers import burst


def test_enqueue_stores_and_queues_the_job(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.add, 1, b=2)
    assert isinstance(job, Job)
    assert job.get_status(refresh=False) == JobStatus.QUEUED
    assert queue.job_ids == [job.id]
    assert connection.sismember(QUEUES, "default")
    fetched = Job.fetch(job.id, connection)
    assert fetched.func_name == "tests.fixtures.jobs.add"
    assert fetched.args == [1]
    assert fetched.kwargs == {"b": 2}
    assert fetched.origin == "default"
    assert fetched.get_status() == JobStatus.QUEUED


def test_enqueue_takes_rqs_option_kwargs_out_of_the_job_arguments(
    queue: Queue, connection: redis.Redis
) -> None:
    job = queue.enqueue(
        jobs.echo, 1, x=2, job_timeout=5, result_ttl=10, ttl=100, failure_ttl=20,
        description="my job", job_id="my-id", meta={"who": "me"}, retry=Retry(2, [1, 2]),
    )  # fmt: skip
    assert job.id == "my-id"
    fetched = queue.fetch_job("my-id")
    assert fetched is not None
    assert fetched.args == [1]
    assert fetched.kwargs == {"x": 2}
    assert fetched.timeout == 5
    assert fetched.result_ttl == 10
    assert fetched.failure_ttl == 20
    assert fetched.description == "my job"
    assert fetched.meta == {"who": "me"}
    assert fetched.max_attempts == 3
    assert 99_000 < connection.pttl(queue.keys.job("my-id")) <= 100_000


def test_timeout_is_rqs_older_name(queue: Queue) -> None:
    assert queue.enqueue(jobs.noop, timeout=3).timeout == 3
    assert Queue("q2", queue.connection, default_timeout=9).enqueue(jobs.noop).timeout == 9


def test_description_defaults_to_the_call(queue: Queue) -> None:
    job = queue.fetch_job(queue.enqueue(jobs.add, 1, b="x").id)
    assert job is not None
    assert job.description == "tests.fixtures.jobs.add(1, b='x')"


def test_enqueue_call(queue: Queue) -> None:
    job = queue.enqueue_call(jobs.add, args=(2, 3), kwargs={}, timeout=4, job_id="c1")
    assert (job.id, job.timeout, job.args) == ("c1", 4, [2, 3])
    burst(queue, queue.connection)
    assert job.result == 5


def test_enqueue_by_dotted_path(queue: Queue) -> None:
    job = queue.enqueue("tests.fixtures.jobs.add", 4, 5)
    assert job.func_name == "tests.fixtures.jobs.add"
    burst(queue, queue.connection)
    assert job.result == 9


def test_explicit_args_and_kwargs(queue: Queue) -> None:
    job = queue.enqueue(jobs.echo, args=(1, 2), kwargs={"timeout": "not an option here"})
    burst(queue, queue.connection)
    assert job.result == [[1, 2], {"timeout": "not an option here"}]
    with pytest.raises(TypeError, match="explicit args="):
        queue.enqueue(jobs.echo, 1, args=(2,))


def test_enqueue_many_is_one_pipelined_round_trip(
    queue: Queue, connection: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    Queue("warm", connection).enqueue(jobs.noop)  # scripts known to the server
    datas = [Queue.prepare_data(jobs.add, (i, i), job_id=f"m{i}") for i in range(5)]
    datas.append(Queue.prepare_data(jobs.add, (1, 1), depends_on="m0", job_id="dep"))
    executes: list[int] = []
    direct: list[Any] = []
    real_execute = Pipeline.execute

    def spy_execute(self: Pipeline, *a: Any, **k: Any) -> Any:
        executes.append(len(self.command_stack))
        return real_execute(self, *a, **k)

    real_command = connection.execute_command
    monkeypatch.setattr(Pipeline, "execute", spy_execute)
    monkeypatch.setattr(
        connection, "execute_command", lambda *a, **k: direct.append(a) or real_command(*a, **k)
    )
    created = queue.enqueue_many(datas)
    monkeypatch.undo()
    # one round trip: SADD queues, one bulk call for the 5 jobs due now, one call
    # for the job with a dependency
    assert executes == [3]
    assert direct == []
    assert [j.id for j in created] == ["m0", "m1", "m2", "m3", "m4", "dep"]
    assert [j.get_status(refresh=False) for j in created] == [JobStatus.QUEUED] * 5 + [
        JobStatus.DEFERRED
    ]
    assert queue.job_ids == ["m0", "m1", "m2", "m3", "m4"]
    burst(queue, connection)
    assert [j.result for j in created] == [0, 2, 4, 6, 8, 2]


def test_enqueue_many_validates_every_job_before_sending_any(
    queue: Queue, connection: redis.Redis
) -> None:
    datas = [
        Queue.prepare_data(jobs.add, (1, 2)),
        Queue.prepare_data(jobs.add, (object(), 2)),
        Queue.prepare_data(jobs.add, (3, 4)),
    ]
    with pytest.raises(TypeError, match="positional argument 0 of type object"):
        queue.enqueue_many(datas)
    with pytest.raises(ValueError, match="job_id"):
        queue.enqueue_many([Queue.prepare_data(jobs.add, (1, 2)), Queue.prepare_data(
            jobs.add, (1, 2), job_id="bad id")])  # fmt: skip
    assert connection.dbsize() == 0


def test_enqueue_many_into_the_callers_pipeline(queue: Queue, connection: redis.Redis) -> None:
    """The caller runs a plain execute(), on a server that does not know the scripts yet."""
    connection.script_flush()
    pipe = connection.pipeline()
    created = queue.enqueue_many([Queue.prepare_data(jobs.noop)] * 3, pipeline=pipe)
    assert queue.count == 0
    pipe.execute()
    assert queue.job_ids == [j.id for j in created]


def test_enqueue_into_the_callers_pipeline(queue: Queue, connection: redis.Redis) -> None:
    connection.script_flush()
    pipe = connection.pipeline()
    a = queue.enqueue(jobs.add, 1, 2, pipeline=pipe)
    b = queue.enqueue_call(jobs.add, (3, 4), pipeline=pipe)
    script_loads = [c for c, _ in pipe.command_stack if c[0] == "SCRIPT LOAD"]
    assert len(script_loads) == 1  # once per pipeline batch, not per job
    pipe.execute()
    assert queue.job_ids == [a.id, b.id]
    burst(queue, connection)
    assert (a.result, b.result) == (3, 7)


def test_enqueue_at_schedules_at_that_time(queue: Queue) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    job = queue.enqueue_at(when, jobs.add, 1, 2, job_timeout=3)
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.timeout == 3
    assert queue.count == 0
    registry = queue.scheduled_job_registry
    assert registry.get_job_ids_with_scores() == [(job.id, float(to_ms(when)))]


def test_enqueue_at_reads_naive_datetimes_as_local_time(queue: Queue) -> None:
    naive = dt.datetime.now() + dt.timedelta(minutes=5)
    job = queue.enqueue_at(naive, jobs.noop)
    ((_, score),) = queue.scheduled_job_registry.get_job_ids_with_scores()
    assert score == naive.astimezone().timestamp() * 1000 // 1
    assert job.get_status() == JobStatus.SCHEDULED


def test_enqueue_in_runs_only_once_due(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue_in(dt.timedelta(seconds=1), jobs.add, 2, 2)
    assert job.get_status() == JobStatus.SCHEDULED
    burst(queue, connection)
    assert job.get_status() == JobStatus.SCHEDULED
    time.sleep(1.05)
    burst(queue, connection)
    assert job.get_status() == JobStatus.FINISHED
    assert job.result == 4


def test_enqueue_in_the_past_is_queued_at_once(queue: Queue) -> None:
    job = queue.enqueue_in(dt.timedelta(seconds=-5), jobs.noop)
    assert job.get_status() == JobStatus.QUEUED


def test_count_job_ids_jobs_and_fetch_job(queue: Queue) -> None:
    a, b = queue.enqueue(jobs.noop), queue.enqueue(jobs.add, 1, 2)
    assert queue.count == len(queue) == 2
    assert queue.job_ids == [a.id, b.id]
    assert queue.get_job_ids(1, 1) == [b.id]
    assert [j.id for j in queue.jobs] == [a.id, b.id]
    assert queue.fetch_job(b.id) == b
    assert queue.fetch_job("nope") is None
    assert not queue.is_empty()


def test_at_front(queue: Queue) -> None:
    a = queue.enqueue(jobs.noop)
    b = queue.enqueue(jobs.noop, at_front=True)
    assert queue.job_ids == [b.id, a.id]


def test_empty_deletes_queued_jobs(queue: Queue, connection: redis.Redis) -> None:
    ids = [queue.enqueue(jobs.noop).id for _ in range(3)]
    scheduled = queue.enqueue_in(dt.timedelta(hours=1), jobs.noop)
    assert queue.empty() == 3
    assert queue.count == 0
    for job_id in ids:
        with pytest.raises(NoSuchJobError):
            Job.fetch(job_id, connection)
    assert scheduled.get_status() == JobStatus.SCHEDULED


def test_delete_removes_the_queue_and_its_jobs(queue: Queue, connection: redis.Redis) -> None:
    queue.enqueue(jobs.noop)
    queue.enqueue(jobs.fail)
    queue.enqueue_in(dt.timedelta(hours=1), jobs.noop)
    burst(queue, connection)
    queue.enqueue(jobs.noop)
    # dependents that deleting their parent releases into the queue or `scheduled`
    parent = queue.enqueue_in(dt.timedelta(hours=1), jobs.noop)
    lenient = Dependency(jobs=[parent], allow_failure=True)
    queue.enqueue(jobs.noop, depends_on=lenient)
    queue.enqueue_in(dt.timedelta(hours=2), jobs.noop, depends_on=lenient)
    other = Queue("other", connection)
    kept = other.enqueue(jobs.noop)
    queue.delete()
    assert [q.name for q in Queue.all(connection)] == ["other"]
    assert [k.decode() for k in connection.keys("jobq:{default}*")] == []
    assert kept.get_status() == JobStatus.QUEUED


def test_job_id_of_a_live_job_cannot_be_reused(queue: Queue) -> None:
    first = queue.enqueue(jobs.add, 1, 1, job_id="same")
    with pytest.raises(DuplicateJobError, match="'same'"):
        queue.enqueue(jobs.add, 2, 2, job_id="same")
    assert Job.fetch("same", queue.connection).args == [1, 1]
    assert queue.job_ids == [first.id]


def test_job_id_of_an_ended_job_is_reused(queue: Queue, connection: redis.Redis) -> None:
    queue.enqueue(jobs.fail, job_id="again")
    burst(queue, connection)
    assert "again" in queue.failed_job_registry
    job = queue.enqueue(jobs.add, 2, 2, job_id="again")
    assert "again" not in queue.failed_job_registry
    assert job.get_status() == JobStatus.QUEUED
    assert job.exc_info is None
    burst(queue, connection)
    assert job.result == 4


@pytest.mark.parametrize("bad", ["", "with space", "a{b}", "x" * 257])
def test_invalid_job_ids_are_refused(queue: Queue, bad: str) -> None:
    with pytest.raises(ValueError, match="job_id"):
        queue.enqueue(jobs.noop, job_id=bad)
    assert queue.connection.dbsize() == 0


def test_ttl_must_be_positive(queue: Queue) -> None:
    with pytest.raises(ValueError, match="ttl must be positive"):
        queue.enqueue(jobs.noop, ttl=0)


def test_durations_take_rqs_strings(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop, job_timeout="15m", result_ttl="1h", failure_ttl="2d", ttl="90")
    assert (job.timeout, job.result_ttl, job.failure_ttl) == (900, 3600, 172800)
    fetched = queue.fetch_job(job.id)
    assert fetched is not None and (fetched.timeout, fetched.result_ttl) == (900, 3600)
    assert 89_000 < connection.pttl(queue.keys.job(job.id)) <= 90_000
    assert Queue("q2", connection, default_timeout="1h").enqueue(jobs.noop).timeout == 3600


def test_a_string_timeout_times_the_job_out(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.sleep, 5, job_timeout="1s")
    burst(queue, connection)
    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert "timeout" in (job.exc_info or "")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("job_timeout", float("nan")),
        ("job_timeout", float("inf")),
        ("result_ttl", "forever"),
        ("failure_ttl", "nan"),
        ("ttl", "1e400"),
        ("job_timeout", "3x"),
    ],
)
def test_bad_durations_are_refused_before_anything_is_stored(
    queue: Queue, connection: redis.Redis, option: str, value: object
) -> None:
    with pytest.raises(ValueError, match=option):
        queue.enqueue(jobs.noop, **{option: value})
    assert connection.dbsize() == 0


def test_queue_all_and_equality(connection: redis.Redis) -> None:
    Queue("b", connection).enqueue(jobs.noop)
    Queue("a", connection).enqueue(jobs.noop)
    assert Queue.all(connection) == [Queue("a", connection), Queue("b", connection)]
