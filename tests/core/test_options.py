"""JobOptions: a job's options, built once where they enter and carried unchanged."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
from collections.abc import Callable
from typing import Any

import pytest
import redis

from jobq import AsyncQueue, Job, Queue, Retry, job
from jobq.connection import async_from_url
from jobq.options import DEFAULT, FIELD_NAMES, OPTION_NAMES, EnqueueData, JobOptions, split_call
from jobq.scheduler import Scheduler
from jobq.timeutil import seconds
from tests.fixtures import jobs

#: one duration in every form rq's users write it
FIFTEEN_MINUTES: list[Any] = [900, 900.0, "900", "15m", "15M", " 15m ", dt.timedelta(minutes=15)]


@pytest.mark.parametrize("value", FIFTEEN_MINUTES)
def test_one_parser_reads_every_form_of_a_duration(value: Any) -> None:
    assert seconds(value, "x") == 900.0
    assert JobOptions(timeout=value, result_ttl=value, ttl=value, failure_ttl=value) == JobOptions(
        timeout=900.0, result_ttl=900.0, ttl=900.0, failure_ttl=900.0
    )


@pytest.mark.parametrize("value", ["soon", "15x", float("nan"), float("inf"), True, [1]])
def test_bad_durations_are_refused_where_the_options_are_built(value: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="job_timeout"):
        JobOptions.from_kwargs({"job_timeout": value})


def test_options_are_frozen() -> None:
    options = JobOptions(timeout=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.timeout = 6  # type: ignore[misc]


def test_an_enqueue_without_options_builds_none() -> None:
    options, pipeline, args, kwargs = split_call((1,), {"b": 2})
    assert options is DEFAULT and pipeline is None and args == (1,) and kwargs == {"b": 2}
    assert split_call((), {})[0] is DEFAULT


def test_rqs_name_job_timeout_is_timeout() -> None:
    assert JobOptions.from_kwargs({"job_timeout": "1h"}).timeout == 3600.0
    assert JobOptions(timeout=1).merged({"job_timeout": 2}).timeout == 2.0


def test_a_new_option_is_added_in_one_place() -> None:
    """rq's keyword lists are derived from the fields: every field is an option
    keyword of enqueue, and every rq enqueue keyword that is an option is a field."""
    assert set(OPTION_NAMES) == {*FIELD_NAMES, "job_timeout", "pipeline"}
    enqueue_call = inspect.signature(Queue.enqueue_call).parameters
    assert set(FIELD_NAMES) <= set(enqueue_call)
    assert set(FIELD_NAMES) <= set(inspect.signature(Queue.prepare_data).parameters)


def test_prepared_job_carries_the_options_unchanged(queue: Queue) -> None:
    options = JobOptions(timeout="1m", description="d", meta={"k": 1})
    prepared = queue.prepare(EnqueueData(jobs.add, (1, 2), None, options))
    assert prepared.options is options
    assert prepared.fields["timeout"] == "60" and prepared.fields["desc"] == "d"


def _stored_timeouts(job_: Job) -> tuple[float, float]:
    job_.refresh()
    return job_.timeout, job_.result_ttl


def test_every_entry_point_takes_the_same_duration_forms(
    queue: Queue, connection: redis.Redis
) -> None:
    td = dt.timedelta(minutes=15)
    made: list[Callable[[], Job]] = [
        lambda: queue.enqueue(jobs.add, 1, 2, job_timeout="15m", result_ttl=td),
        lambda: queue.enqueue_call(jobs.add, (1, 2), timeout=td, result_ttl="15m"),
        lambda: queue.enqueue_in(td, jobs.add, 1, 2, job_timeout=900, result_ttl="900"),
        lambda: job(queue, timeout="15m", result_ttl=td)(jobs.add).delay(1, 2),
        lambda: job(queue)(jobs.add).delay(1, 2, job_timeout=td, result_ttl="15m"),
        lambda: Scheduler(queue=queue).enqueue_in(td, jobs.add, 1, 2, timeout="15m"),
    ]
    for make in made:
        assert _stored_timeouts(make())[0] == 900.0
    for make in made[:5]:
        assert _stored_timeouts(make())[1] == 900.0


def test_decorator_options_are_overridden_per_call(queue: Queue) -> None:
    add = job(queue, timeout=30, retry=Retry(2))(jobs.add)
    first = add.delay(1, 2)
    second = add.delay(1, 2, job_timeout=40)
    assert (first.timeout, second.timeout) == (30.0, 40.0)
    assert first.retries_left == second.retries_left == 2


def test_async_queue_takes_the_same_options(redis_url: str) -> None:
    async def main() -> tuple[Any, ...]:
        client = async_from_url(redis_url)
        try:
            aq = AsyncQueue("default", connection=client)
            one = await aq.enqueue(jobs.add, 1, 2, job_timeout="15m", description="async")
            two = await aq.enqueue_call(jobs.add, (1, 2), timeout=dt.timedelta(seconds=5))
            return one.timeout, one.description, two.timeout
        finally:
            await client.aclose()

    assert asyncio.run(main()) == (900.0, "async", 5.0)


def test_enqueue_call_takes_the_options_of_prepare_data_by_keyword(queue: Queue) -> None:
    """One list of options (prepare_data's): enqueue_call's signature is made from it."""
    call = inspect.signature(Queue.enqueue_call).parameters
    data = inspect.signature(Queue.prepare_data).parameters
    assert [n for n in call if n not in ("self", "pipeline")] == list(data)
    job = queue.enqueue_call(jobs.add, (1, 2), timeout="15m", result_ttl=60)
    assert job.timeout == 900
    with pytest.raises(TypeError):
        queue.enqueue_call(jobs.add, (1, 2), {}, 30)  # type: ignore[misc]
