"""``@job`` on a function defined inside another: declared for this process only.

rq's suites (and many users' own) decorate a function inside a test and enqueue
it; jobq runs such jobs in workers of the declaring process and fails them
clearly anywhere else.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import redis

from jobq import Queue, job
from jobq.declared import LocalJobFunctionWarning, lookup
from jobq.functions import FunctionResolver
from jobq.status import JobStatus
from tests.conftest import Processes, wait_until
from tests.helpers import burst


def add(x: int, y: int) -> int:
    return x + y


def _declare_adder(connection: redis.Redis, queue: str = "default") -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LocalJobFunctionWarning)

        @job(queue, connection=connection)
        def adder(x: int, y: int) -> int:
            return x + y

    return adder


def test_declaring_a_nested_function_warns_that_only_this_process_runs_it(
    connection: redis.Redis,
) -> None:
    with pytest.warns(LocalJobFunctionWarning, match="only workers in this process"):

        @job("default", connection=connection)
        def warned_once() -> None:
            pass

    assert lookup(f"{__name__}.{warned_once.__qualname__}") is warned_once.__wrapped__


def test_module_level_function_is_not_declared_and_does_not_warn(connection: redis.Redis) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", LocalJobFunctionWarning)
        decorated = job("default", connection=connection)(add)
    assert decorated.delay(1, 2).func_name == f"{__name__}.add"
    assert lookup(f"{__name__}.add") is None


def test_declared_nested_function_runs_in_eager_mode(connection: redis.Redis) -> None:
    eager = Queue("eager", connection=connection, is_async=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LocalJobFunctionWarning)

        @job(eager)
        def doubled(x: int) -> int:
            return 2 * x

    done = doubled.delay(21)
    assert done.get_status() == JobStatus.FINISHED
    assert done.return_value() == 42


def test_declared_nested_function_runs_in_a_same_process_burst_worker(
    connection: redis.Redis, queue: Queue
) -> None:
    adder = _declare_adder(connection)
    enqueued = adder.delay(2, 3)
    assert enqueued.origin == "default"
    assert "<locals>" in enqueued.func_name
    burst(queue, connection)
    assert enqueued.get_status() == JobStatus.FINISHED
    assert enqueued.return_value() == 5


def test_decorator_options_reach_the_job_of_a_declared_function(connection: redis.Redis) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LocalJobFunctionWarning)

        @job("other", connection=connection, result_ttl=10, ttl=30, meta={"k": 1})
        def configured() -> None:
            pass

    made = configured.delay()
    assert (made.origin, made.result_ttl, made.ttl, made.meta) == ("other", 10, 30, {"k": 1})


def test_undeclared_nested_function_is_still_refused_at_enqueue(queue: Queue) -> None:
    def nested() -> None:
        pass

    with pytest.raises(ValueError, match="cannot be a job"):
        queue.enqueue(nested)
    assert queue.count == 0


def test_the_latest_declaration_under_a_path_is_the_one_that_runs(
    connection: redis.Redis, queue: Queue
) -> None:
    made = [_declare_adder(connection) for _ in range(2)]
    assert made[0].__qualname__ == made[1].__qualname__
    path = f"{__name__}.{made[0].__qualname__}"
    assert lookup(path) is made[1].__wrapped__
    assert FunctionResolver().resolve(path) is made[1].__wrapped__


def test_allowed_modules_still_apply_to_declared_functions(connection: redis.Redis) -> None:
    adder = _declare_adder(connection)
    path = f"{__name__}.{adder.__qualname__}"
    assert FunctionResolver([__name__]).resolve(path) is adder.__wrapped__
    with pytest.raises(Exception, match="not in the worker's allowed modules"):
        FunctionResolver(["somewhere.else"]).resolve(path)


def test_a_worker_in_another_process_fails_a_declared_job_clearly(
    connection: redis.Redis, queue: Queue, processes: Processes
) -> None:
    adder = _declare_adder(connection)
    enqueued = adder.delay(1, 1)
    proc = processes.worker("--burst", "default")
    assert proc.wait(30) == 0
    wait_until(lambda: enqueued.get_status() == JobStatus.FAILED)
    assert enqueued.id in queue.failed_job_registry
    assert "cannot import job function" in (enqueued.exc_info or "")
    assert "only a worker in the process that declared it" in (enqueued.exc_info or "")


def test_delay_goes_through_the_queue_class_enqueue_call(connection: redis.Redis) -> None:
    calls: list[tuple[Any, ...]] = []

    class RecordingQueue(Queue):
        def enqueue_call(self, func: Any, args: Any = None, kwargs: Any = None, **options: Any):  # type: ignore[no-untyped-def, override]
            calls.append((func, tuple(args or ()), options))
            return super().enqueue_call(func, args, kwargs, **options)

    decorator = job("default", connection=connection, queue_class=RecordingQueue, result_ttl=7)
    assert decorator.queue_class is RecordingQueue
    made = decorator(add).delay(1, 2)
    assert calls == [(add, (1, 2), {"result_ttl": 7.0})]
    assert made.result_ttl == 7
