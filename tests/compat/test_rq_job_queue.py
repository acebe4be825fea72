"""rq's Job and Queue calls beyond enqueue: Job.create, Job(id, connection=),
positions, removal, serializer classes, callbacks that fail."""

from __future__ import annotations

import pytest
import redis

from jobq import Job, JobStatus, Queue, SimpleWorker
from jobq.serializers import (
    DefaultSerializer,
    JSONSerializer,
    configured_serializer,
    resolve_serializer,
)
from tests.fixtures.jobs import add, failing_success_callback


def test_job_create_then_enqueue_job(connection: redis.Redis) -> None:
    made = Job.create(add, args=(1, 2), connection=connection, origin="made", id="made-1")
    assert made.id == "made-1" and made.func_name.endswith("add")
    assert made.args == [1, 2] and made.get_call_string().endswith("add(1, 2)")
    queue = Queue("made", connection=connection)
    queue.enqueue_job(made)
    assert queue.job_ids == ["made-1"]
    assert Job.fetch("made-1", connection).origin == "made"


def test_job_by_id_finds_its_queue(connection: redis.Redis) -> None:
    queued = Queue("elsewhere", connection=connection).enqueue(add, 1, 1)
    assert Job(queued.id, connection=connection).origin == "elsewhere"


def test_queue_position_and_remove(connection: redis.Redis) -> None:
    queue = Queue("positions", connection=connection)
    first, second = queue.enqueue(add, 1, 1), queue.enqueue(add, 2, 2)
    assert queue.get_job_position(second) == 1 and queue.get_job_position(first.id) == 0
    queue.remove(first)
    assert queue.job_ids == [second.id]
    assert queue.get_job_position(first) is None
    assert Queue.DEFAULT_TIMEOUT == 180


def test_queue_all_accepts_job_class(connection: redis.Redis) -> None:
    Queue("listed", connection=connection).enqueue(add, 1, 1)
    assert "listed" in [q.name for q in Queue.all(connection=connection, job_class=Job)]


def test_queue_returns_handles_of_its_job_class(connection: redis.Redis) -> None:
    class AuditedJob(Job):
        pass

    queue = Queue("audited", connection=connection, job_class=AuditedJob)
    assert type(queue.enqueue(add, 1, 1)) is AuditedJob


def test_serializer_given_as_class_or_dotted_path() -> None:
    assert isinstance(resolve_serializer(JSONSerializer), JSONSerializer)
    assert isinstance(configured_serializer("jobq.serializers.JSONSerializer"), JSONSerializer)
    assert DefaultSerializer is JSONSerializer  # deliberate: JSON, not pickle


def test_queue_with_serializer_class_enqueues(connection: redis.Redis) -> None:
    queue = Queue("ser", connection=connection, serializer=JSONSerializer)
    assert queue.enqueue(add, 1, 2).args == [1, 2]


def test_failing_success_callback_fails_the_job(connection: redis.Redis) -> None:
    queue = Queue("callbacks", connection=connection)
    done = queue.enqueue(add, 1, 2, on_success=failing_success_callback)
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert done.get_status() == JobStatus.FAILED
    assert "the success callback broke" in (done.exc_info or "")


def test_bound_method_callback_is_refused(connection: redis.Redis) -> None:
    queue = Queue("callbacks", connection=connection)
    with pytest.raises(ValueError, match="bound method"):
        queue.enqueue(add, 1, 2, on_success=queue.enqueue)


def test_job_ttl_retries_and_latest_result(connection: redis.Redis) -> None:
    queue = Queue("ttl", connection=connection)
    job = queue.enqueue(add, 1, 2, ttl=60)
    assert job.ttl == 60 and job.get_ttl() == 60
    assert queue.enqueue(add, 1, 2).get_ttl(default_ttl=5) == 5
    assert job.latest_result() is None
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert job.number_of_retries == 0
    latest = job.latest_result()
    assert latest is not None and latest.return_value == 3


def test_second_burst_on_the_same_worker_runs_new_jobs(connection: redis.Redis) -> None:
    from jobq import Worker

    queue = Queue("twice", connection=connection)
    worker = Worker([queue], connection=connection, concurrency=1)
    first = queue.enqueue(add, 1, 1)
    worker.work(burst=True)
    second = queue.enqueue(add, 2, 2)
    worker.work(burst=True)
    assert first.result == 2 and second.result == 4


def test_classmethod_callback_is_refused_too(connection: redis.Redis) -> None:
    queue = Queue("callbacks", connection=connection)
    with pytest.raises(ValueError, match="bound method"):
        queue.enqueue(add, 1, 2, on_failure=Job.fetch)


def test_registry_times(connection: redis.Redis) -> None:
    import datetime as dt

    from jobq import ScheduledJobRegistry

    queue = Queue("times", connection=connection)
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    job = queue.enqueue_at(when, add, 1, 1)
    registry = ScheduledJobRegistry(queue=queue)
    assert registry.get_scheduled_time(job) == when
    assert registry.get_expiration_time(job.id) == when
    assert queue.key.endswith(":queued")


def test_on_stopped_is_an_option_never_an_argument(connection: redis.Redis) -> None:
    queue = Queue("stopped", connection=connection)
    job = queue.enqueue(add, 1, 2, on_stopped=add)
    assert job.kwargs == {} and job.args == [1, 2]
    assert job.stopped_callback is add


def test_retries_left_counts_retries_as_rq_does(connection: redis.Redis) -> None:
    from jobq import Retry
    from tests.fixtures.jobs import fail

    queue = Queue("retries", connection=connection)
    job = queue.enqueue(fail, retry=Retry(max=3))
    assert job.retries_left == 3 and job.number_of_retries == 0
    SimpleWorker([queue], connection=connection).work(burst=True)
    job.refresh()
    assert job.get_status(refresh=False) == JobStatus.FAILED
    assert job.retries_left == 0 and job.number_of_retries == 3


def test_job_position_registry_equality_and_rq_attribute_names(connection: redis.Redis) -> None:
    from jobq import ScheduledJobRegistry

    queue = Queue("named", connection=connection, default_timeout=30)
    queue.enqueue(add, 1, 1)
    second = queue.enqueue(add, 2, 2)
    assert second.get_position() == 1
    assert queue.scheduled_job_registry == ScheduledJobRegistry(queue=queue)
    assert queue._default_timeout == 30 and queue._is_async is True


def test_worker_register_birth_and_death(connection: redis.Redis) -> None:
    from jobq import Worker

    worker = SimpleWorker(["births"], connection=connection, name="born")
    worker.register_birth()
    assert [w["name"] for w in Worker.all(connection)] == ["born"]
    worker.register_death()
    assert Worker.all(connection) == []


def test_a_serializer_path_stored_in_redis_is_never_imported(connection: redis.Redis) -> None:
    from jobq.exceptions import ConfigurationError
    from jobq.serializers import resolve_serializer

    with pytest.raises(ConfigurationError):
        resolve_serializer("jobq.serializers.JSONSerializer")  # names from Redis: json/pickle
    queue = Queue("stored-ser", connection=connection)
    job = queue.enqueue(add, 1, 2)
    connection.hset(job.key, "ser", "subprocess.Popen")
    with pytest.raises(ConfigurationError):
        Job.fetch(job.id, connection).args  # noqa: B018
