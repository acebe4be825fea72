"""rq's Queue calls on the queue itself: ordering, from_queue_key, compact,
dequeue_any, redis_queues_keys; rq's checks of job ids and timeouts."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from jobq import Job, JobStatus, Queue
from jobq.exceptions import InvalidJobOperation
from jobq.keys import QUEUES
from tests.fixtures.jobs import add, noop


def test_queues_are_ordered_by_name_and_compare_only_with_queues(
    connection: redis.Redis,
) -> None:
    foo, bar = Queue("foo", connection=connection), Queue("bar", connection=connection)
    assert foo == Queue("foo", connection=connection) and foo != bar
    assert foo > bar and bar < foo and sorted([foo, bar]) == [bar, foo]
    with pytest.raises(TypeError):
        _ = foo == "foo"
    with pytest.raises(TypeError):
        _ = foo < "foo"


def test_from_queue_key_gives_the_queue_of_its_list(connection: redis.Redis) -> None:
    queue = Queue("keyed", connection=connection)
    assert Queue.from_queue_key(queue.key, connection=connection) == queue
    assert Queue.from_queue_key(queue.key.encode(), connection=connection).name == "keyed"
    for other in ("rq:queue:keyed", queue.keys.started, "jobq:{a b}:queued"):
        with pytest.raises(ValueError, match="is not the key of a jobq queue"):
            Queue.from_queue_key(other, connection=connection)


def test_compact_drops_ids_whose_job_is_gone(queue: Queue) -> None:
    kept = [queue.enqueue(add, 1, 1).id, queue.enqueue(add, 2, 2).id]
    queue.connection.lpush(queue.key, "gone-1", "gone-2")
    assert queue.count == 4
    assert queue.compact() == 2
    assert queue.job_ids == kept


def test_queues_keys_names_the_set_of_every_queue(connection: redis.Redis) -> None:
    queue = Queue("listed-then-deleted", connection=connection)
    job = queue.enqueue(noop)
    assert Queue.redis_queues_keys == QUEUES
    assert connection.smembers(Queue.redis_queues_keys) == {b"listed-then-deleted"}
    queue.delete(delete_jobs=False)
    assert connection.smembers(Queue.redis_queues_keys) == set()
    assert connection.exists(job.key) and not connection.exists(queue.key)


def test_dequeue_any_takes_from_the_first_queue_that_has_a_job(connection: redis.Redis) -> None:
    foo, bar = Queue("foo", connection=connection), Queue("bar", connection=connection)
    assert Queue.dequeue_any([foo, bar], None, connection=connection) is None
    bar.enqueue(add, 1, 1)
    from_foo = foo.enqueue(add, 2, 2)
    job, queue = Queue.dequeue_any([foo, bar], None, connection=connection)
    assert (job.id, queue, job.args) == (from_foo.id, foo, [2, 2])
    assert job.get_status() is JobStatus.STARTED
    assert job.id in foo.started_job_registry.get_job_ids()
    job, queue = Queue.dequeue_any([foo, bar], None, connection=connection)
    assert (queue, job.args, job.worker_name.startswith("dequeue.")) == (bar, [1, 1], True)


def test_dequeue_any_drops_ids_whose_job_is_gone(connection: redis.Redis) -> None:
    low = Queue("low", connection=connection)
    connection.rpush(low.key, "49f205ab-8ea3-47dd-a1b5-bfa186870fc8")
    assert Queue.dequeue_any([low], None, connection=connection) is None
    assert low.count == 0


def test_dequeue_any_waits_up_to_its_timeout(connection: redis.Redis) -> None:
    queue = Queue("waited", connection=connection)
    with pytest.raises(ValueError, match="timeout > 0"):
        Queue.dequeue_any([queue], 0, connection=connection)
    started = time.monotonic()
    assert Queue.dequeue_any([queue], 0.3, connection=connection) is None
    assert time.monotonic() - started >= 0.3
    later = threading.Timer(0.3, lambda: queue.enqueue(noop, job_id="late"))
    later.start()
    try:
        taken = Queue.dequeue_any([queue], 5, connection=connection)
    finally:
        later.join()
    assert taken is not None and taken[0].id == "late"


def test_a_job_taken_by_dequeue_any_can_be_fetched_with_its_worker(
    connection: redis.Redis,
) -> None:
    queue = Queue("held", connection=connection)
    queue.enqueue(noop, job_id="held-1")
    Queue.dequeue_any([queue], None, connection=connection, worker_name="me")
    assert Job.fetch("held-1", connection).worker_name == "me"


@pytest.mark.parametrize(
    "bad", ["1234:4321", "bad id", "bad\\id", 'bad"id', "bad'id", "bad;id", ""]
)
def test_a_job_id_holds_only_letters_digits_underscores_and_dashes(queue: Queue, bad: str) -> None:
    with pytest.raises(ValueError, match="job_id"):
        queue.enqueue(noop, job_id=bad)
    assert queue.enqueue(noop, job_id="Good_id-1").id == "Good_id-1"


def test_job_timeout_zero_is_refused_and_minus_one_is_no_limit(queue: Queue) -> None:
    with pytest.raises(ValueError, match="job_timeout must be positive"):
        queue.enqueue(noop, job_timeout=0)
    assert queue.enqueue(noop, job_timeout=-1).timeout is None
    assert queue.enqueue(noop, job_timeout=15).timeout == 15


def test_save_of_a_handle_on_no_stored_job_is_refused(connection: redis.Redis) -> None:
    with pytest.raises(ValueError, match=r"not stored and was not made by Job\.create"):
        Job("nothing-here", connection=connection).save()


def test_a_job_sent_in_a_pipeline_reports_where_its_dependencies_will_put_it(
    queue: Queue,
) -> None:
    waiting, done = queue.enqueue(noop), queue.enqueue(noop)
    done.set_status(JobStatus.FINISHED)
    failed = queue.enqueue(noop)
    failed.set_status(JobStatus.FAILED)
    with queue.connection.pipeline() as pipe:
        deferred = queue.enqueue_call(noop, depends_on=[waiting, done], pipeline=pipe)
        ready = queue.enqueue_call(noop, depends_on=done, pipeline=pipe)
        canceled = queue.enqueue_call(noop, depends_on=failed, pipeline=pipe)
        guessed = [j.get_status(refresh=False) for j in (deferred, ready, canceled)]
        assert queue.job_ids == [waiting.id]
        pipe.execute()
    assert guessed == [JobStatus.DEFERRED, JobStatus.QUEUED, JobStatus.CANCELED]
    assert [j.get_status() for j in (deferred, ready, canceled)] == guessed


def test_push_job_id_puts_back_a_queued_job_and_takes_ids_of_no_job(queue: Queue) -> None:
    job = queue.enqueue(noop)
    queue.connection.lrem(queue.key, 0, job.id)  # its list lost it
    queue.push_job_id(job.id)
    queue.push_job_id(job.id)
    assert queue.job_ids == [job.id]
    queue.push_job_id("no-such-job", at_front=True)
    assert queue.job_ids == ["no-such-job", job.id]
    taken = Queue.dequeue_any([queue], None, connection=queue.connection)
    assert taken is not None and taken[0].id == job.id and queue.count == 0


def test_push_job_id_refuses_a_job_that_ended(queue: Queue) -> None:
    job = queue.enqueue(noop)
    job.set_status(JobStatus.FINISHED)
    with pytest.raises(InvalidJobOperation):
        queue.push_job_id(job.id)
    assert queue.job_ids == []


def test_an_enqueue_in_a_watching_pipeline_waits_for_its_execute(queue: Queue) -> None:
    with queue.connection.pipeline() as pipe:
        pipe.watch("watched")
        job = queue.enqueue_call(noop, pipeline=pipe)
        assert job.get_status(refresh=False) is JobStatus.QUEUED
        assert len(queue) == 0  # buffered, not sent in WATCH's immediate mode
        pipe.set("watched", "by the caller")  # buffered too
        pipe.execute()
    assert queue.job_ids == [job.id]


def test_an_enqueue_in_a_pipeline_whose_watched_key_changed_is_not_sent(
    queue: Queue, connection: redis.Redis
) -> None:
    with queue.connection.pipeline() as pipe:
        pipe.watch("watched")
        queue.enqueue_many([Queue.prepare_data(noop)], pipeline=pipe)
        connection.set("watched", "by someone else")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert len(queue) == 0
