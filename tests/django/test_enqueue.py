"""Enqueue from Django: transactions, the decorator, django-rq's helpers, records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.signals import got_request_exception, request_finished
from django.db import transaction

from jobq.declared import LocalJobFunctionWarning
from jobq.django_integration import enqueue, get_queue, job
from jobq.django_integration.models import JobRecord
from jobq.status import JobStatus
from tests.django import tasks

pytestmark = pytest.mark.django_db(transaction=True)


def _in_redis(job_id: str, queue: str = "default") -> bool:
    return get_queue(queue).fetch_job(job_id) is not None


def test_inside_atomic_the_job_reaches_redis_on_commit() -> None:
    with transaction.atomic():
        job = tasks.add.delay(1, 2)
        assert job.id and job.origin == "low"
        assert not _in_redis(job.id, "low")
        assert JobRecord.objects.get(job_id=job.id).status == JobStatus.QUEUED
    assert _in_redis(job.id, "low")
    assert job.get_status() == JobStatus.QUEUED
    assert get_queue("low").job_ids == [job.id]


def test_rollback_sends_nothing_and_records_nothing() -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        job = tasks.add.delay(1, 2)
        1 / 0  # noqa: B018
    assert not _in_redis(job.id, "low")
    assert get_queue("low").count == 0
    assert not JobRecord.objects.filter(job_id=job.id).exists()


def test_rolled_back_savepoint_drops_only_its_jobs() -> None:
    with transaction.atomic():
        kept = tasks.add.delay(1, 1)
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            dropped = tasks.add.delay(2, 2)
            1 / 0  # noqa: B018
    assert _in_redis(kept.id, "low")
    assert not _in_redis(dropped.id, "low")


def test_outside_a_transaction_the_job_is_sent_at_once() -> None:
    job = tasks.add.delay(3, 4)
    assert _in_redis(job.id, "low")


def test_immediate_commit_mode(settings: Any) -> None:
    settings.JOBQ = {"COMMIT_MODE": "immediate"}
    with transaction.atomic():
        job = tasks.add.delay(1, 2)
        assert _in_redis(job.id, "low")


def test_commit_mode_argument_overrides_the_setting() -> None:
    """ "immediate" sends at once, "request_finished" holds the job until the request
    finishes."""
    with transaction.atomic():
        now = get_queue("high", commit_mode="immediate").enqueue("tests.django.tasks.echo", 1)
        later = get_queue("high", commit_mode="request_finished").enqueue(
            "tests.django.tasks.echo", 2
        )
        assert _in_redis(now.id, "high") and not _in_redis(later.id, "high")
    assert not _in_redis(later.id, "high")
    request_finished.send(sender=None)
    assert _in_redis(later.id, "high")


def test_autocommit_argument_is_deprecated_and_still_chooses_the_mode() -> None:
    """django-rq's older switch warns as django-rq does: True is "auto", False is
    "request_finished"."""
    with pytest.warns(DeprecationWarning, match="commit_mode"):
        at_once = get_queue("high", autocommit=True)
    with pytest.warns(DeprecationWarning, match="commit_mode"):
        held = get_queue("high", autocommit=False)
    assert (at_once.commit_mode, at_once._commit_mode) == ("immediate", "auto")
    assert (held.commit_mode, held._commit_mode) == ("request_finished", "request_finished")
    assert get_queue("high", commit_mode="on_db_commit")._commit_mode == "on_db_commit"


def test_request_finished_mode_drops_the_jobs_of_a_failed_request() -> None:
    held = get_queue("high", commit_mode="request_finished").enqueue("tests.django.tasks.echo", 1)
    got_request_exception.send(sender=None, request=None)
    request_finished.send(sender=None)
    assert not _in_redis(held.id, "high")


@pytest.mark.parametrize(
    ("rq_setting", "mode"),
    [
        ({"AUTOCOMMIT": True}, "immediate"),
        ({"AUTOCOMMIT": False}, "request_finished"),
        ({"COMMIT_MODE": "auto"}, "immediate"),
        ({"COMMIT_MODE": "on_db_commit"}, "on_commit"),
        ({"COMMIT_MODE": "request_finished", "AUTOCOMMIT": True}, "request_finished"),
    ],
)
def test_django_rq_commit_settings_are_read(settings: Any, rq_setting: Any, mode: str) -> None:
    settings.RQ = rq_setting
    if "COMMIT_MODE" in rq_setting:
        assert get_queue("high").commit_mode == mode
    else:  # deprecated in django-rq, and here
        with pytest.warns(DeprecationWarning, match="AUTOCOMMIT"):
            assert get_queue("high").commit_mode == mode


def test_bad_arguments_fail_at_enqueue_not_at_commit() -> None:
    with pytest.raises(TypeError, match="serializ"), transaction.atomic():
        tasks.add.delay(object(), 1)


def test_enqueue_many_waits_for_commit_too() -> None:
    queue = get_queue("high")
    with transaction.atomic():
        jobs = queue.enqueue_many(
            [queue.prepare_data("tests.django.tasks.echo", [i]) for i in range(3)]
        )
        assert all(j.id for j in jobs) and queue.count == 0
        assert JobRecord.objects.filter(job_id__in=[j.id for j in jobs]).count() == 3
    assert queue.job_ids == [j.id for j in jobs]


def test_enqueue_in_is_recorded_as_scheduled() -> None:
    with transaction.atomic():
        job = get_queue().enqueue_in(dt.timedelta(hours=1), "tests.django.tasks.echo")
    assert job.get_status() == JobStatus.SCHEDULED
    assert JobRecord.objects.get(job_id=job.id).status == JobStatus.SCHEDULED


def test_dependent_job_is_recorded_as_deferred() -> None:
    first = tasks.add.delay(1, 1)
    second = get_queue("low").enqueue("tests.django.tasks.echo", depends_on=first)
    assert JobRecord.objects.get(job_id=second.id).status == JobStatus.DEFERRED


def test_bare_job_uses_the_default_queue_and_named_job_its_queue() -> None:
    assert tasks.slow_add.get_queue().name == "default"
    assert tasks.explode.get_queue().name == "high"
    assert tasks.slow_add(1, 2, seconds=0) == 3  # still a plain function


def test_delay_takes_rq_options() -> None:
    job = tasks.slow_add.delay(1, 2, job_timeout=5, result_ttl=9, description="sum")
    assert (job.timeout, job.result_ttl, job.description) == (5, 9, "sum")
    assert job.kwargs == {}


def test_decorator_with_options() -> None:
    with pytest.warns(LocalJobFunctionWarning):

        @job("high", timeout=12)
        def local() -> None:  # pragma: no cover - never run
            return None

    assert local.get_queue().name == "high"
    assert local.options.timeout == 12


def test_enqueue_shortcut_uses_default_queue() -> None:
    job = enqueue(tasks.echo, 1, 2)
    assert job.origin == "default" and _in_redis(job.id)


def test_record_at_enqueue_has_the_call() -> None:
    job = get_queue("high").enqueue(tasks.echo, 1, "two", three=3)
    row = JobRecord.objects.get(job_id=job.id)
    assert (row.func, row.args, row.kwargs, row.queue) == (
        "tests.django.tasks.echo",
        [1, "two"],
        {"three": 3},
        "high",
    )
    assert row.enqueued_at is not None and row.schedule is None


@pytest.mark.parametrize(("mode", "rows"), [("all", 1), ("scheduled", 0), ("none", 0)])
def test_record_modes(settings: Any, mode: str, rows: int) -> None:
    settings.JOBQ = {"RECORD": mode}
    tasks.add.delay(1, 2)
    assert JobRecord.objects.count() == rows


def test_reenqueue_with_the_same_id_resets_the_row() -> None:
    first = get_queue("high").enqueue(tasks.echo, 1, job_id="fixed-id")
    get_queue("high").fetch_job(first.id).cancel()  # type: ignore[union-attr]
    get_queue("high").enqueue(tasks.echo, 2, job_id="fixed-id")
    row = JobRecord.objects.get(job_id="fixed-id")
    assert row.args == [2] and row.status == JobStatus.QUEUED


def test_a_refused_enqueue_leaves_the_live_jobs_row_alone() -> None:
    from jobq.exceptions import DuplicateJobError

    queue = get_queue("high")
    queue.enqueue(tasks.echo, "first", job_id="taken")
    with pytest.raises(DuplicateJobError):
        queue.enqueue(tasks.echo, "second", job_id="taken")
    assert JobRecord.objects.get(job_id="taken").args == ["first"]
