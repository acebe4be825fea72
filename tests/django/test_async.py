"""Asyncio code on the Django integration: ``get_async_queue`` in an async view,
``await f.adelay()`` on a Django ``@job``, and the Tasks backend's native
``aenqueue``/``aget_result``, with real ``manage.py rqworker`` processes.

Each test runs its coroutine under ``asyncio.run`` and closes, at its end, the
loop's Redis clients and the database connections of Django's thread for sync
work (where the rows are written), as a request's end would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
import redis.asyncio
from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import AsyncClient

from jobq import keys
from jobq.connection import close_async_connections
from jobq.django_integration import get_async_queue, get_queue, thread_queue
from jobq.django_integration._tasks_framework import TaskResultDoesNotExist, TaskResultStatus
from jobq.django_integration.models import JobRecord
from jobq.exceptions import DuplicateJobError
from jobq.signing import Keyring
from jobq.status import JobStatus
from tests.conftest import wait_until
from tests.django import standard_tasks, tasks

from .conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            return await make()
        finally:
            await close_async_connections()
            await sync_to_async(connections.close_all)()

    return asyncio.run(main())


def _row(job_id: str) -> JobRecord:
    return JobRecord.objects.get(job_id=job_id)


def _finished_row(job_id: str) -> JobRecord:
    """The row once the worker's batched write says the job finished."""
    wait_until(lambda: _row(job_id).status == JobStatus.FINISHED, timeout=10, interval=0.05)
    return _row(job_id)


# -- async views ----------------------------------------------------------------------


def test_async_view_enqueues_and_awaits_the_result(manage: Manage) -> None:
    worker = manage.start("rqworker", "default")
    try:
        response = run(lambda: AsyncClient().get("/enqueue/and-wait/", {"a": 2, "b": 3}))
    finally:
        manage.stop_warm(worker)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["result"] == 5
    row = _finished_row(body["job_id"])  # recorded at enqueue, updated by the worker
    assert (row.func, row.queue, row.args, row.result) == (
        "tests.django.tasks.slow_add",
        "default",
        [2, 3],
        5,
    )


def test_async_queue_records_the_row_before_the_send() -> None:
    async def go() -> tuple[str, int]:
        job = await get_async_queue("low").enqueue(tasks.add, 1, 2)
        return job.id, await get_async_queue("low").count()

    job_id, queued = run(go)
    row = _row(job_id)
    assert (row.status, row.queue, row.args) == (JobStatus.QUEUED, "low", [1, 2])
    assert queued == 1 and get_queue("low").fetch_job(job_id) is not None


def test_coroutines_enqueuing_at_once_share_one_queue_and_each_gets_its_row() -> None:
    async def one(i: int) -> str:
        return (await get_async_queue("low").enqueue(tasks.add, i, i)).id

    async def go() -> tuple[list[str], bool]:
        ids = await asyncio.gather(*(one(i) for i in range(64)))
        return list(ids), get_async_queue("low") is get_async_queue("low")

    ids, shared = run(go)
    assert shared and len(set(ids)) == 64
    assert sorted(get_queue("low").get_job_ids()) == sorted(ids)
    rows = JobRecord.objects.filter(job_id__in=ids)
    assert {row.job_id: row.args for row in rows} == {i: [n, n] for n, i in enumerate(ids)}


def test_async_queue_has_the_sync_queues_settings(settings: Any) -> None:
    """Same RQ_QUEUES entry (default timeout, result TTL) and SECRET_KEY signing as
    get_queue: a job sent from asyncio code is one the sync side reads as its own."""

    async def go() -> str:
        return (await get_async_queue("low").enqueue(tasks.add, 1, 2)).id

    job_id = run(go)
    job = get_queue("low").fetch_job(job_id)
    assert job is not None
    sync = get_queue("low")
    assert (job.timeout, job.result_ttl) == (sync.default_timeout, 3600)
    raw = get_queue("low").connection.hgetall(keys.queue_keys("low").job(job_id))
    assert raw[b"mac"]
    Keyring(settings.SECRET_KEY).verify("low", job_id, raw)  # raises unless signed so


def test_a_refused_async_send_takes_its_row_back() -> None:
    async def go() -> None:
        queue = get_async_queue("default")
        await queue.enqueue(tasks.echo, "first", job_id="fixed-id")
        with pytest.raises(DuplicateJobError):  # a live job has this id
            await queue.enqueue(tasks.echo, "second", job_id="fixed-id")

    run(go)
    assert _row("fixed-id").args == ["first"]  # the live job's row, as it was


def test_a_failed_async_send_leaves_no_row() -> None:
    """Redis refuses the step (the queue's list key holds a string): no row stays."""
    get_queue("default").connection.set(keys.queue_keys("default").queued, "not a list")

    async def go() -> list[str]:
        errors = []
        for job_id in (None, "given-id"):
            with pytest.raises(redis.RedisError) as caught:
                await get_async_queue("default").enqueue(tasks.echo, "x", job_id=job_id)
            errors.append(str(caught.value))
        return errors

    assert all(errors for errors in run(go))
    assert JobRecord.objects.count() == 0


def test_async_sends_are_immediate_in_every_commit_mode(settings: Any) -> None:
    """Django runs no async code inside an atomic block, and an async view's request
    ends in another thread: an async send waits for neither, even where the sync
    queue holds its sends (request_finished)."""
    settings.JOBQ = {**settings.JOBQ, "COMMIT_MODE": "request_finished"}
    held = get_queue("high").enqueue(tasks.echo, "sync")

    async def go() -> str:
        return (await get_async_queue("high").enqueue(tasks.echo, "async")).id

    sent = run(go)
    assert get_queue("high").fetch_job(held.id) is None  # held until the request ends
    assert get_queue("high").fetch_job(sent) is not None
    thread_queue.clear()


def test_get_async_queue_refuses_a_queue_that_runs_jobs_inline(
    settings: Any, redis_url: str
) -> None:
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "ASYNC": False}}

    async def go() -> None:
        with pytest.raises(ImproperlyConfigured, match="ASYNC: False"):
            get_async_queue("default")

    run(go)


def test_a_queue_on_use_redis_cache_needs_an_async_connection(
    settings: Any, redis_url: str
) -> None:
    settings.RQ_QUEUES = {"default": {"USE_REDIS_CACHE": "django-redis"}}

    async def go() -> str:
        with pytest.raises(ImproperlyConfigured, match="cannot tell where"):
            get_async_queue("default")
        client = redis.asyncio.Redis.from_url(redis_url)
        try:
            return (await get_async_queue("default", connection=client).enqueue(tasks.add, 1, 2)).id
        finally:
            await client.aclose()

    assert get_queue("default").fetch_job(run(go)) is not None


# -- @job's adelay ----------------------------------------------------------------------


def test_adelay_on_a_django_job(manage: Manage) -> None:
    worker = manage.start("rqworker", "default")

    async def go() -> tuple[str, str, Any]:
        job = await tasks.slow_add.adelay(20, 22, seconds=0)
        return job.id, job.origin, await job.wait(30)

    try:
        job_id, origin, value = run(go)
    finally:
        manage.stop_warm(worker)
    assert (origin, value) == ("default", 42)
    assert _finished_row(job_id).result == 42


# -- the Tasks backend's async methods --------------------------------------------------


def test_tasks_backend_aenqueue_and_aget_result_round_trip(manage: Manage) -> None:
    async def enqueue() -> Any:
        return await standard_tasks.add.aenqueue(2, 3)

    result = run(enqueue)
    assert result.status == TaskResultStatus.READY and result.enqueued_at is not None
    assert _row(result.id).status == JobStatus.QUEUED  # recorded at enqueue

    worker = manage.start("rqworker", "high", "default")

    async def poll() -> Any:
        deadline = time.monotonic() + 30
        while True:
            fetched = await standard_tasks.add.aget_result(result.id)
            if fetched.is_finished or time.monotonic() > deadline:
                await fetched.arefresh()  # the framework's async refresh, same path
                return fetched
            await asyncio.sleep(0.05)

    try:
        fetched = run(poll)
    finally:
        manage.stop_warm(worker)
    assert fetched.status == TaskResultStatus.SUCCESSFUL, manage.log(worker)
    assert (fetched.return_value, fetched.args, fetched.attempts) == (5, [2, 3], 1)
    assert fetched.errors == []


def test_tasks_backend_async_methods_reach_redis_without_djangos_sync_thread(
    settings: Any,
) -> None:
    """Native, not thread hops: with Django's thread for sync work held busy (and
    no rows to write), aget_result answers and aenqueue's job lands in Redis; only
    the framework's task_enqueued receivers, sync ones, then wait for the thread."""
    settings.JOBQ = {**settings.JOBQ, "RECORD": "none"}
    earlier = standard_tasks.add.enqueue(1, 2)

    async def go() -> tuple[Any, Any, int]:
        release = threading.Event()
        busy = asyncio.ensure_future(sync_to_async(release.wait)())
        await asyncio.sleep(0.05)  # the thread now waits on the event
        try:
            fetched = await asyncio.wait_for(standard_tasks.add.aget_result(earlier.id), 5)
            enqueuing = asyncio.ensure_future(standard_tasks.add.aenqueue(3, 4))
            queue = get_async_queue("default")
            deadline = time.monotonic() + 5
            while await queue.count() < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            landed = await queue.count()
        finally:
            release.set()
            await busy
        return fetched, await enqueuing, landed

    fetched, enqueued, landed = run(go)
    assert fetched.id == earlier.id and fetched.status == TaskResultStatus.READY
    assert landed == 2
    assert get_queue("default").get_job_ids() == [earlier.id, enqueued.id]


def test_tasks_backend_aget_result_reports_an_error_of_a_running_or_failed_task(
    manage: Manage,
) -> None:
    result = standard_tasks.explode.enqueue("async boom")
    manage.run("rqworker", "--burst", "high", "default")
    fetched = run(lambda: standard_tasks.explode.aget_result(result.id))
    assert fetched.status == TaskResultStatus.FAILED
    assert fetched.errors[0].exception_class is ValueError
    assert "async boom" in fetched.errors[0].traceback


def test_tasks_backend_aget_result_of_an_unknown_id() -> None:
    with pytest.raises(TaskResultDoesNotExist):
        run(lambda: standard_tasks.add.aget_result("no-such-result"))
    with pytest.raises(TaskResultDoesNotExist):
        run(lambda: standard_tasks.add.aget_result("not an id!"))


def test_tasks_backend_aenqueue_on_a_queue_that_runs_jobs_inline(
    settings: Any, redis_url: str
) -> None:
    settings.RQ_QUEUES = {
        name: {"URL": redis_url, "ASYNC": False} for name in ("high", "default", "low")
    }
    result = run(lambda: standard_tasks.add.aenqueue(1, 2))
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 3
