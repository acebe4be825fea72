"""Django's Tasks framework (the django-tasks backport on this Django) on jobq.

Tasks enqueued with the standard API run in real ``manage.py rqworker``
processes; ``get_result`` reads back what the worker left in Redis. The second
half runs the framework's documented examples unchanged (tests/django/standard_tasks.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.db import connections, transaction
from django.test import Client, override_settings
from django.utils import timezone

from jobq import transitions
from jobq.django_integration import get_queue
from jobq.django_integration._tasks_framework import (
    InvalidTaskError,
    TaskResult,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_backends,
)
from jobq.django_integration.models import JobRecord
from jobq.django_integration.tasks_backend import JobqBackend, parse_options
from jobq.status import JobStatus
from tests.conftest import wait_until
from tests.django import standard_tasks

from .conftest import Manage

try:  # Django >= 6.0
    from django.tasks import default_task_backend
except ImportError:  # the django-tasks backport
    from django_tasks import default_task_backend

pytestmark = pytest.mark.django_db(transaction=True)

BACKEND = "jobq.django_integration.tasks_backend.JobqBackend"


def _work(manage: Manage, *queues: str) -> str:
    """Run a burst worker on ``queues`` (all three by default) to its end."""
    return manage.run("rqworker", "--burst", *(queues or ("high", "default", "low")))


def _wait_finished(
    manage: Manage, worker: subprocess.Popen[bytes], result: TaskResult[Any]
) -> None:
    """Refresh ``result`` until it is finished (the docs' ``result.refresh()``), then
    stop the worker."""
    try:
        wait_until(lambda: (result.refresh(), result.is_finished)[1], timeout=30, interval=0.05)
    except AssertionError:
        raise AssertionError(f"{result.status}; worker log:\n{manage.log(worker)}") from None
    finally:
        manage.stop_warm(worker)


def _record(result: TaskResult[Any]) -> JobRecord:
    return JobRecord.objects.get(job_id=result.id)


# -- the standard API, end to end ---------------------------------------------------


def test_task_enqueued_from_a_view_runs_in_a_worker(client: Client, manage: Manage) -> None:
    body = client.get("/enqueue/standard-task/", {"a": 2, "b": 3}).json()
    assert body["status"] == "READY"
    result = standard_tasks.add.get_result(body["result_id"])
    assert result.status == TaskResultStatus.READY and not result.is_finished
    assert result.enqueued_at is not None and result.started_at is None
    assert (result.args, result.kwargs, result.attempts) == ([2, 3], {}, 0)
    with pytest.raises(ValueError, match="not finished yet"):
        result.return_value  # noqa: B018
    record = _record(result)  # a job like any other: recorded at enqueue
    assert (record.func, record.queue, record.status, record.args) == (
        "tests.django.standard_tasks.add",
        "default",
        JobStatus.QUEUED,
        [2, 3],
    )

    _work(manage, "default")
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.is_finished
    assert result.return_value == 5
    assert result.errors == []
    assert result.enqueued_at <= result.started_at <= result.finished_at  # type: ignore[operator]
    assert result.last_attempted_at == result.started_at
    record.refresh_from_db()
    assert result.attempts == 1 and result.worker_ids == [record.worker]
    assert (record.status, record.result, record.attempts) == (JobStatus.FINISHED, 5, 1)
    assert get_queue().fetch_job(result.id).result == 5  # type: ignore[union-attr]


def test_failure_reports_the_error_and_its_traceback(manage: Manage) -> None:
    builtin = standard_tasks.explode.enqueue("kaboom 42")
    custom = standard_tasks.explode_custom.enqueue("custom")
    _work(manage)

    failed = standard_tasks.explode.get_result(builtin.id)
    assert failed.status == TaskResultStatus.FAILED and failed.is_finished
    assert failed.finished_at is not None and failed.attempts == 1
    [error] = failed.errors
    assert error.exception_class_path == "builtins.ValueError"
    assert error.exception_class is ValueError
    assert error.traceback.startswith("Traceback (most recent call last)")
    assert "raise ValueError(message)" in error.traceback
    assert error.traceback.rstrip().endswith("ValueError: kaboom 42")
    with pytest.raises(ValueError, match="Task failed"):
        failed.return_value  # noqa: B018

    [error] = standard_tasks.explode_custom.get_result(custom.id).errors
    assert error.exception_class is standard_tasks.Boom
    record = _record(custom)
    assert record.status == JobStatus.FAILED and "raise Boom(message)" in record.traceback


def test_run_after_defers_the_task(manage: Manage) -> None:
    run_after = timezone.now() + dt.timedelta(seconds=3)
    result = standard_tasks.add.using(run_after=run_after).enqueue(1, 1)
    assert _record(result).status == JobStatus.SCHEDULED
    _work(manage)  # nothing is due yet: a burst worker leaves it
    result.refresh()
    assert result.status == TaskResultStatus.READY
    assert result.task.run_after == run_after

    worker = manage.start("rqworker", "default")  # promotes it when due
    _wait_finished(manage, worker, result)
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 2
    # jobq keeps milliseconds
    assert result.started_at is not None
    assert result.started_at >= run_after.replace(microsecond=run_after.microsecond // 1000 * 1000)


def test_async_task_runs_in_a_worker(manage: Manage) -> None:
    result = standard_tasks.async_add.enqueue(20, 22)

    async def enqueue_async() -> TaskResult[int]:
        enqueued = await standard_tasks.add.aenqueue(1, 2)  # the async API too
        await sync_to_async(connections.close_all)()  # its thread's, as a request's end would
        return enqueued

    enqueued = asyncio.run(enqueue_async())
    _work(manage)
    assert standard_tasks.async_add.get_result(result.id).return_value == 42
    fetched = asyncio.run(standard_tasks.add.aget_result(enqueued.id))
    assert fetched.status == TaskResultStatus.SUCCESSFUL and fetched.return_value == 3


def test_arguments_that_are_not_json_are_refused_at_enqueue() -> None:
    with pytest.raises(TypeError):
        standard_tasks.add.enqueue(dt.datetime.now(), 1)
    with pytest.raises(TypeError):
        standard_tasks.add.enqueue(1, b=object())
    assert not JobRecord.objects.exists()
    assert all(get_queue(name).count == 0 for name in ("high", "default", "low"))


def test_tuples_travel_as_lists_as_the_framework_says(manage: Manage) -> None:
    result = standard_tasks.add.enqueue((1, 2), (3,))
    assert result.args == [[1, 2], [3]]
    _work(manage)
    assert standard_tasks.add.get_result(result.id).return_value == [1, 2, 3]


def test_return_value_that_is_not_json_fails_the_task(manage: Manage) -> None:
    result = standard_tasks.returns_a_set.enqueue()
    _work(manage)
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is TypeError


def test_context_gives_the_result_id_and_attempt(manage: Manage) -> None:
    result = standard_tasks.whoami.enqueue()
    _work(manage)
    assert standard_tasks.whoami.get_result(result.id).return_value == {
        "id": result.id,
        "attempt": 1,
        "status": "RUNNING",
    }


def test_priority_picks_a_jobq_queue_and_queue_name_is_honoured(manage: Manage) -> None:
    cases = [
        (standard_tasks.add.using(priority=60), "high"),
        (standard_tasks.add.using(priority=50), "high"),
        (standard_tasks.add.using(priority=49), "default"),
        (standard_tasks.add.using(priority=-100), "default"),
        (standard_tasks.add.using(queue_name="emails", priority=1), "high"),
        (standard_tasks.add.using(queue_name="emails"), "low"),
    ]
    results = [(t.enqueue(1, 2), queue) for t, queue in cases]
    for result, queue in results:
        assert _record(result).queue == queue, (result.task, queue)
    _work(manage)
    for result, _ in results:
        fetched = standard_tasks.add.get_result(result.id)
        assert fetched.return_value == 3
        assert (fetched.task.priority, fetched.task.queue_name) == (
            result.task.priority,
            result.task.queue_name,
        )


def test_validate_task_refuses_what_jobq_cannot_run(settings: Any) -> None:
    with pytest.raises(InvalidTaskError, match="not valid for backend"):
        standard_tasks.add.using(queue_name="high")  # not in the backend's QUEUES
    with pytest.raises(InvalidTaskError, match="dotted path"):
        standard_tasks.renamed.enqueue(1)  # its path leads to the function
    with pytest.raises(InvalidTaskError, match="priority"):
        standard_tasks.add.using(priority=101)
    settings.JOBQ = {"ALLOWED_MODULES": ["myproject"]}
    with pytest.raises(InvalidTaskError, match="ALLOWED_MODULES"):
        standard_tasks.add.using(priority=1)
    settings.JOBQ = {"ALLOWED_MODULES": ["tests"]}
    assert not JobRecord.objects.exists()


def test_a_task_priority_is_the_jobs_own_priority_without_bands(settings: Any) -> None:
    settings.JOBQ = {"ALLOWED_MODULES": ["tests"]}
    with override_settings(TASKS={"default": {"BACKEND": BACKEND}}):  # no priority bands
        backend = task_backends["default"]
        assert isinstance(backend, JobqBackend) and backend.supports_priority
        low = standard_tasks.add.using(priority=-5).enqueue(1, 1)
        plain = standard_tasks.add.enqueue(2, 2)
        high = standard_tasks.add.using(priority=5).enqueue(3, 3)
        queue = get_queue("default")
        taken = transitions.dequeue(queue.connection, queue.keys, "w", 10, 30_000)
        assert [i for i, _ in taken] == [high.id, plain.id, low.id]


def test_capabilities_and_checks() -> None:
    backend = task_backends["default"]
    assert isinstance(backend, JobqBackend)
    assert backend.supports_defer and backend.supports_async_task
    assert backend.supports_get_result and backend.supports_priority
    assert list(backend.check()) == []
    assert backend.jobq_queues() == ["high", "default", "low"]
    bad = JobqBackend(
        "other",
        {"QUEUES": ["default"], "OPTIONS": {"PRIORITY_QUEUES": {"default": {"urgent": 0}}}},
    )
    assert [m.id for m in bad.check()] == ["jobq.E010"]
    from django.core.exceptions import ImproperlyConfigured

    for options in (
        {"TIMEOUT": 3},
        {"PRIORITY_QUEUES": {"default": {"high": 500}}},
        {"RETRY": {"MAX": 0}},
        {"JOB_TIMEOUT": -1},
    ):
        with pytest.raises(ImproperlyConfigured, match="OPTIONS"):
            parse_options("default", options)


def test_options_take_rqs_duration_strings() -> None:
    parsed = parse_options("default", {"JOB_TIMEOUT": "15m", "RESULT_TTL": 600})
    assert (parsed.job_options.timeout, parsed.job_options.result_ttl) == (900.0, 600.0)


def test_get_result_of_unknown_or_foreign_ids() -> None:
    backend = task_backends["default"]
    for bad in ("0" * 32, "not an id", ""):
        with pytest.raises(TaskResultDoesNotExist):
            backend.get_result(bad)
    plain = get_queue().enqueue("tests.django.tasks.echo", 1)  # a jobq job, not a task
    with pytest.raises(TaskResultDoesNotExist, match="not a task"):
        backend.get_result(plain.id)


def test_jobq_retries_timeouts_and_progress_from_options(manage: Manage, tmp_path: Path) -> None:
    options = {"RETRY": {"MAX": 1}, "JOB_TIMEOUT": 30, "RESULT_TTL": 600}
    with override_settings(TASKS={"default": {"BACKEND": BACKEND, "OPTIONS": options}}):
        result = standard_tasks.flaky.enqueue(str(tmp_path / "runs"))
        progress = standard_tasks.progress.enqueue(4)
        job = get_queue().fetch_job(result.id)
        assert job is not None and (job.timeout, job.result_ttl, job.max_attempts) == (30, 600, 2)
        _work(manage, "default")
        result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 2
    assert result.attempts == 2
    record = _record(progress)
    assert (record.status, record.progress_done, record.progress_total) == ("finished", 4, 4)


def test_between_retries_the_result_is_ready_with_the_last_error(
    manage: Manage, tmp_path: Path
) -> None:
    options = {"RETRY": {"MAX": 2, "INTERVAL": 600}}
    with override_settings(TASKS={"default": {"BACKEND": BACKEND, "OPTIONS": options}}):
        result = standard_tasks.flaky.enqueue(str(tmp_path / "runs"))
        _work(manage, "default")
        result.refresh()
    assert result.status == TaskResultStatus.READY and result.attempts == 1
    [error] = result.errors
    assert error.exception_class is RuntimeError and "first run fails" in error.traceback


def test_a_canceled_task_failed_without_an_error() -> None:
    result = standard_tasks.add.enqueue(1, 2)
    job = get_queue().fetch_job(result.id)
    assert job is not None
    job.cancel()
    result.refresh()
    assert result.status == TaskResultStatus.FAILED and result.errors == []


def test_a_task_path_runs_as_a_plain_job_too(manage: Manage) -> None:
    """What a Schedule does: enqueue the task's dotted path."""
    from jobq.django_integration.forms import check_function_path

    check_function_path("tests.django.standard_tasks.add")  # a schedule may name it
    job = get_queue().enqueue("tests.django.standard_tasks.add", 2, 2)
    _work(manage, "default")
    assert get_queue().fetch_job(job.id).result == 4  # type: ignore[union-attr]
    result = standard_tasks.add.get_result(job.id)
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 4


def test_a_queue_with_async_false_runs_the_task_at_enqueue(settings: Any, redis_url: str) -> None:
    settings.RQ_QUEUES = {
        name: {"URL": redis_url, "ASYNC": False} for name in ("high", "default", "low")
    }
    result = standard_tasks.add.enqueue(1, 2)
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 3
    failed = standard_tasks.explode.enqueue("inline")
    assert failed.status == TaskResultStatus.FAILED
    assert failed.errors[0].exception_class is ValueError
    assert _record(failed).status == JobStatus.FAILED


# -- the examples of Django's Tasks documentation (topics/tasks), unchanged -----------


def test_docs_defining_and_enqueueing_tasks(manage: Manage) -> None:
    email_users = standard_tasks.email_users
    result = email_users.enqueue(
        emails=["user@example.com"],
        subject="You have a message",
        message="Hello there!",
    )
    assert email_users.priority == 0
    assert email_users.using(priority=10).priority == 10
    ten = email_users.using(priority=10).enqueue(["a@example.com"], "s", "m")
    prioritized = standard_tasks.email_users_on_emails_queue.enqueue(["b@example.com"], "s", "m")
    assert _record(prioritized).queue == "high"  # "emails", priority 2
    _work(manage)

    for result_id in (result.id, ten.id, prioritized.id):
        fetched = default_task_backend.get_result(result_id)
        assert fetched.status == TaskResultStatus.SUCCESSFUL
        assert fetched.return_value == 1  # send_mail: one message sent
    assert email_users.get_result(result.id).kwargs["subject"] == "You have a message"


def test_docs_task_context(manage: Manage) -> None:
    result = standard_tasks.email_users_with_context.enqueue(
        emails=["user@example.com"], subject="You have a message", message="Hello there!"
    )
    _work(manage)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 1


def test_docs_json_arguments(manage: Manage) -> None:
    with pytest.raises(TypeError):
        standard_tasks.process_data.enqueue(dt.datetime.now())
    result = standard_tasks.double_dictionary.enqueue((1, 2, 3))
    _work(manage)
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is TypeError
    assert result.errors[0].traceback.rstrip().endswith("TypeError: unhashable type: 'list'")


def test_docs_transactions(manage: Manage) -> None:
    with transaction.atomic():
        User.objects.create(username="thing-1")
        transaction.on_commit(functools.partial(standard_tasks.my_task.enqueue, thing_num=1))
    with transaction.atomic():  # without on_commit, jobq still sends at the commit
        User.objects.create(username="thing-2")
        second = standard_tasks.my_task.enqueue(thing_num=2)
        assert second.id not in get_queue().job_ids  # not in Redis before the commit
    _work(manage)
    rows = JobRecord.objects.filter(func="tests.django.standard_tasks.my_task")
    results = {standard_tasks.my_task.get_result(r.job_id).return_value for r in rows}
    assert results == {"thing-1", "thing-2"}
    assert standard_tasks.my_task.get_result(second.id).return_value == "thing-2"


def test_docs_results_and_refresh(manage: Manage) -> None:
    result = standard_tasks.add.enqueue(40, 2)
    started = time.monotonic()
    worker = manage.start("rqworker", "default")
    _wait_finished(manage, worker, result)
    assert time.monotonic() - started < 30
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 42
