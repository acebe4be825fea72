"""The modules rq users import from (``rq.job``, ``rq.utils``, ``rq.command`` ...)
exist under ``jobq`` with the names and call shapes rq gives them."""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
import time

import redis

from jobq import Queue, SimpleWorker, defaults
from jobq.decorators import job
from tests.fixtures.jobs import add


def test_rq_job_module_holds_the_names_rq_keeps_there() -> None:
    import jobq
    from jobq.job import (
        Callback,
        Dependency,
        Retry,
        cancel_job,
        get_current_job,
        requeue_job,
    )

    assert (Callback, Dependency, Retry) == (jobq.Callback, jobq.Dependency, jobq.Retry)
    assert (cancel_job, requeue_job) == (jobq.cancel_job, jobq.requeue_job)
    assert get_current_job is jobq.get_current_job
    assert get_current_job() is None


def test_job_decorator_takes_the_queue_by_keyword(connection: redis.Redis) -> None:
    wrapped = job(queue="high", connection=connection)(add)
    assert wrapped.get_queue().name == "high"
    assert wrapped.delay(2, 3).origin == "high"


def test_job_decorator_takes_a_queue_class(connection: redis.Redis) -> None:
    class AuditedQueue(Queue):
        pass

    wrapped = job(queue="low", connection=connection, queue_class=AuditedQueue)(add)
    assert type(wrapped.get_queue()) is AuditedQueue


def test_utils_helpers() -> None:
    from jobq.utils import as_text, current_timestamp, now, utcformat, utcparse

    assert as_text(b"abc") == "abc" and as_text("x") == "x" and as_text(None) is None
    assert now().tzinfo is not None
    assert abs(current_timestamp() - time.time()) < 2
    moment = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.UTC)
    assert utcparse(utcformat(moment)) == moment


def test_get_version_reads_the_server(connection: redis.Redis) -> None:
    from jobq.utils import get_version

    assert get_version(connection) >= (6, 2, 0)


def test_rq_default_names() -> None:
    from jobq import defaults

    assert defaults.DEFAULT_RESULT_TTL == 500
    assert defaults.DEFAULT_FAILURE_TTL == 365 * 24 * 3600
    assert defaults.CALLBACK_TIMEOUT == 60


def test_connection_kwargs(connection: redis.Redis) -> None:
    from jobq.connections import get_connection_kwargs

    kwargs = get_connection_kwargs(connection)
    assert kwargs["port"] == connection.connection_pool.connection_kwargs["port"]


def test_suspend_and_resume(connection: redis.Redis) -> None:
    from jobq.suspension import is_suspended, resume, suspend

    suspend(connection)
    assert is_suspended(connection)
    resume(connection)
    assert not is_suspended(connection)


def test_shutdown_command_stops_a_running_worker(connection: redis.Redis) -> None:
    from jobq.command import send_shutdown_command

    worker = SimpleWorker(["default"], connection=connection, name="to-stop")
    thread = threading.Thread(target=worker.work, daemon=True)
    thread.start()
    time.sleep(0.3)
    send_shutdown_command(connection, "to-stop")
    thread.join(timeout=defaults.HEARTBEAT_SECONDS * 3)
    assert not thread.is_alive()


def test_colorizing_handler_accepts_rq_settings() -> None:
    from jobq.logutils import ColorizingStreamHandler

    stream = io.StringIO()
    handler = ColorizingStreamHandler(exclude=["%(asctime)s"], stream=stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "careful", None, None)
    handler.emit(record)
    assert stream.getvalue() == "careful\n"  # no colour codes off a terminal
    assert handler.exclude == ["%(asctime)s"]


def test_scheduler_utils_round_trip() -> None:
    from jobq.scheduler.utils import from_unix, get_next_scheduled_time, to_unix

    moment = dt.datetime(2024, 1, 2, 3, 4, 5)
    assert from_unix(to_unix(moment)) == moment
    following = get_next_scheduled_time("*/5 * * * *")
    assert following.tzinfo is not None and following > dt.datetime.now(dt.UTC)


def test_rq_worker_and_registry_names() -> None:
    from jobq.executions import Execution
    from jobq.registry import clean_registries
    from jobq.results import Result
    from jobq.scheduler import RQScheduler
    from jobq.worker import DEFAULT_RESULT_TTL, HerokuWorker, Worker

    assert HerokuWorker is Worker and DEFAULT_RESULT_TTL == 500
    assert callable(clean_registries) and Result.Type.SUCCESSFUL.value == 1
    assert RQScheduler and Execution("1", "j", None).composite_key == "j:1"  # type: ignore[arg-type]


def test_latest_result_of_a_finished_job(connection: redis.Redis) -> None:
    from jobq.results import Result

    queue = Queue("results", connection=connection)
    done = queue.enqueue(add, 2, 3)
    SimpleWorker([queue], connection=connection).work(burst=True)
    latest = Result.fetch_latest(done)
    assert latest is not None and latest.type == Result.Type.SUCCESSFUL
    assert latest.return_value == 5


def test_job_results_lists_the_latest_outcome_once_the_job_ended(connection: redis.Redis) -> None:
    from jobq.results import Result

    queue = Queue("results", connection=connection)
    done = queue.enqueue(add, 2, 3)
    assert done.results() == []
    SimpleWorker([queue], connection=connection).work(burst=True)
    (only,) = done.results()
    assert (only.type, only.return_value) == (Result.Type.SUCCESSFUL, 5)
