"""A scheduler reconciles the ``Schedule`` rows of the Redis it serves: another
configured Redis that is down does not stop it, and a row moved between Redis
servers ends up stored once, where its queue is."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.utils import timezone

from jobq.django_integration import get_connection
from jobq.django_integration.models import Schedule, schedule_id_for
from jobq.django_integration.scheduling import reconcile
from jobq.scheduler.handle import Schedule as RedisSchedule
from tests.django.settings_one_redis_down import DOWN_URL

from .conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)


def _row(queue: str) -> Schedule:
    row: Schedule = Schedule.objects.create(
        name=f"on {queue}", func="tests.django.tasks.echo", queue=queue, interval=60,
        first_run=timezone.now(),
    )  # fmt: skip
    return row


def _stored(row: Schedule, queue: str) -> bool:
    return RedisSchedule.fetch(schedule_id_for(row.pk), queue, get_connection(queue)) is not None


@pytest.fixture
def one_redis_down(settings: Any) -> None:
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "down": {"URL": DOWN_URL}}


def test_reconcile_for_a_queue_leaves_another_redis_that_is_down_alone(
    one_redis_down: None,
) -> None:
    here = _row("default")
    _row("down")
    Schedule.objects.filter(pk=here.pk).update(name="renamed")  # no signal: Redis is behind
    get_connection("default").flushdb()
    assert reconcile("default") == 1
    assert _stored(here, "default")
    with pytest.raises(redis.ConnectionError):
        reconcile()  # every Redis: this one is down


def test_rqscheduler_starts_while_another_configured_redis_is_down(manage: Manage) -> None:
    row = _row("default")
    get_connection("default").flushdb()
    env = manage.env("tests.django.settings_one_redis_down")
    manage.run("rqscheduler", "--burst", "--queue", "default", env=env)
    assert _stored(row, "default")


def test_a_row_moved_to_another_redis_is_stored_once_after_both_reconcile(
    settings: Any, redis_url: str
) -> None:
    other_db = redis_url.rsplit("/", 1)[0] + "/1"
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "other": {"URL": other_db}}
    get_connection("other").flushdb()
    row = _row("other")
    assert _stored(row, "other")
    Schedule.objects.filter(pk=row.pk).update(queue="default")  # moved while no one listened
    assert reconcile("default") == 1
    assert _stored(row, "default") and _stored(row, "other")  # the other is not this one's
    assert reconcile("other") == 0  # the other Redis' scheduler, when it starts
    assert _stored(row, "default") and not _stored(row, "other")
    get_connection("other").flushdb()


def test_rqworker_with_scheduler_reconciles_its_redis_while_another_is_down(
    manage: Manage,
) -> None:
    row = _row("default")
    get_connection("default").flushdb()
    env = manage.env("tests.django.settings_one_redis_down")
    manage.run("rqworker", "--burst", "--with-scheduler", "default", env=env)
    assert _stored(row, "default")
