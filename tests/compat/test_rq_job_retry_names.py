"""rq's Retry(enqueue_at_front=), Retry.get_interval and the Job names rq users read:
get_meta, get_result_ttl, retry_intervals, allow_dependency_failures, a created
job's status and enqueued_at, callback names."""

from __future__ import annotations

import redis

from jobq import Job, JobStatus, Queue, Retry, SimpleWorker
from jobq.job import Dependency
from tests.fixtures.jobs import add, fail, record_failure


def test_retry_enqueue_at_front_puts_the_retry_at_the_head(connection: redis.Redis) -> None:
    queue = Queue("front", connection=connection)
    failing = queue.enqueue(fail, retry=Retry(max=1, enqueue_at_front=True))
    waiting = queue.enqueue(add, 1, 1)
    assert Job.fetch(failing.id, connection=connection).enqueue_at_front_on_retry
    SimpleWorker([queue], connection=connection).work(burst=True, max_jobs=1)
    assert queue.job_ids == [failing.id, waiting.id]


def test_retry_without_front_goes_to_the_tail(connection: redis.Redis) -> None:
    queue = Queue("tail", connection=connection)
    failing = queue.enqueue(fail, retry=Retry(max=1))
    waiting = queue.enqueue(add, 1, 1)
    SimpleWorker([queue], connection=connection).work(burst=True, max_jobs=1)
    assert queue.job_ids == [waiting.id, failing.id]


def test_retry_value_as_rq_spells_it() -> None:
    retry = Retry(max=3, interval=[5, 10], enqueue_at_front=True)
    assert retry.enqueue_at_front and retry.intervals == [5, 10]
    assert repr(Retry(max=1)) == "Retry(max=1, interval=0, enqueue_at_front=False)"
    assert [Retry.get_interval(n, [1, 2, 3]) for n in (0, 1, 3, 5)] == [1, 2, 3, 3]


def test_job_names_rq_users_read(connection: redis.Redis) -> None:
    queue = Queue("names", connection=connection)
    parent = queue.enqueue(add, 1, 1)
    job = queue.enqueue(
        add,
        2,
        2,
        retry=Retry(max=2, interval=5),
        result_ttl=60,
        depends_on=Dependency([parent], allow_failure=True),
        on_failure=record_failure,
    )
    fetched = Job.fetch(job.id, connection=connection)
    assert fetched.retry_intervals == [5] and not fetched.enqueue_at_front_on_retry
    assert fetched.get_result_ttl(default_ttl=9) == 60
    assert queue.enqueue(add, 1, 1).get_result_ttl(default_ttl=9) == 9
    assert fetched.allow_dependency_failures
    assert not parent.allow_dependency_failures
    assert fetched._failure_callback_name == "tests.fixtures.jobs.record_failure"
    assert fetched._success_callback_name is None


def test_get_meta_reads_again_unless_told_not_to(connection: redis.Redis) -> None:
    job = Queue("names", connection=connection).enqueue(add, 1, 1, meta={"a": 1})
    other = Job.fetch(job.id, connection=connection)
    other.meta["a"] = 2
    other.save_meta()
    assert job.get_meta(refresh=False) == {"a": 1}
    assert job.get_meta() == {"a": 2}


def test_created_job_has_status_created_and_no_enqueued_at(connection: redis.Redis) -> None:
    job = Job.create(add, args=(1, 1), connection=connection)
    assert job.get_status(refresh=False) == JobStatus.CREATED and job.enqueued_at is None
    Queue(connection=connection).enqueue_job(job)
    assert job.enqueued_at is not None


def test_builtin_callback_by_name_runs(connection: redis.Redis) -> None:
    queue = Queue("builtins", connection=connection)
    job = queue.enqueue(add, 1, 2, on_success="print")
    assert Job.fetch(job.id, connection=connection)._success_callback_name == "print"
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert job.get_status() == JobStatus.FINISHED


def test_queue_str_all_with_job_class_and_serializer_class(connection: redis.Redis) -> None:
    from jobq.serializers import JSONSerializer

    class AuditedJob(Job):
        pass

    queue = Queue("listed", connection=connection)
    queue.enqueue(add, 1, 1)
    assert str(queue) == "<Queue listed>"
    assert [q.job_class for q in Queue.all(connection=connection, job_class=AuditedJob)] == [
        AuditedJob
    ]
    assert queue.serializer == JSONSerializer and JSONSerializer() == queue.serializer
    assert queue.finished_job_registry.serializer == JSONSerializer


def test_jobs_sent_in_a_callers_pipeline_report_where_they_will_land(
    connection: redis.Redis,
) -> None:
    queue = Queue("piped", connection=connection)
    parent = queue.enqueue(add, 1, 1)
    with connection.pipeline() as pipe:
        plain = queue.enqueue_call(add, (1, 2), pipeline=pipe)
        child = queue.enqueue_call(add, (1, 2), depends_on=parent, pipeline=pipe)
        many = queue.enqueue_many([Queue.prepare_data(add, (3, 4))], pipeline=pipe)
        assert plain.get_status(refresh=False) == JobStatus.QUEUED
        assert child.get_status(refresh=False) == JobStatus.DEFERRED
        assert many[0].get_status(refresh=False) == JobStatus.QUEUED
        pipe.execute()
    assert child.get_status() == JobStatus.DEFERRED and plain.id in queue.job_ids


def test_perform_runs_the_function_here(connection: redis.Redis) -> None:
    from tests.fixtures.jobs import async_add

    job = Job.create(add, args=(2, 3), connection=connection)
    assert job.perform() == 5 and job.instance is None
    assert Job.create(async_add, args=(1, 2), connection=connection).perform() == 3


def test_worker_serializer_reads_as_rq_s(connection: redis.Redis) -> None:
    from jobq import Worker
    from jobq.serializers import DefaultSerializer, JSONSerializer

    assert Worker(["default"], connection=connection).serializer == DefaultSerializer
    given = Worker(["default"], connection=connection, serializer="jobq.serializers.JSONSerializer")
    assert given.serializer == JSONSerializer


def test_deferred_and_scheduled_jobs_have_no_enqueued_at_until_queued(
    connection: redis.Redis,
) -> None:
    import datetime as dt

    from jobq import transitions

    queue = Queue("later", connection=connection)
    parent = queue.enqueue(add, 1, 1)
    child = queue.enqueue(add, 2, 2, depends_on=parent)
    due = queue.enqueue_at(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), add, 3, 3)
    assert child.enqueued_at is None and due.enqueued_at is None
    assert parent.enqueued_at is not None
    transitions.promote(connection, queue.keys, now=transitions.now_ms() + 7_200_000)
    due.refresh()
    assert due.get_status() == JobStatus.QUEUED and due.enqueued_at is not None
