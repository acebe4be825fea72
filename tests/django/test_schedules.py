"""``Schedule`` rows drive the Redis scheduler; their runs come back as linked rows."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from jobq.django_integration import get_connection, get_scheduler
from jobq.django_integration.forms import ScheduleForm
from jobq.django_integration.models import JobRecord, Schedule, schedule_id_for
from jobq.django_integration.scheduling import reconcile, sync_schedule
from jobq.scheduler.handle import Schedule as RedisSchedule
from jobq.status import JobStatus
from jobq.worker.maintenance import list_workers
from tests.conftest import wait_until

from .conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)


def in_redis(row: Schedule, queue: str | None = None) -> RedisSchedule | None:
    name = queue or row.queue
    return RedisSchedule.fetch(schedule_id_for(row.pk), name, get_connection(name))


def save_form(**data: Any) -> Schedule:
    base = {"name": "every second", "func": "tests.django.tasks.echo", "queue": "default"}
    form = ScheduleForm(data={**base, **data, "enabled": "on"})
    assert form.is_valid(), form.errors
    schedule: Schedule = form.save()
    return schedule


def test_schedule_from_the_form_fires_n_runs_with_n_linked_rows(manage: Manage) -> None:
    schedule = save_form(interval="1", repeat="3", args='["tick"]')
    assert in_redis(schedule) is not None
    manage.start("rqscheduler", "--interval", "0.2")
    manage.start("rqworker", "default")

    def finished() -> int:
        return JobRecord.objects.filter(schedule=schedule, status=JobStatus.FINISHED).count()

    wait_until(lambda: finished() == 3, timeout=30, interval=0.1)
    rows = list(JobRecord.objects.filter(schedule=schedule).order_by("started_at"))
    assert [r.result for r in rows] == [[["tick"], {}]] * 3
    assert len({r.job_id for r in rows}) == 3  # each run its own job and result
    ended = in_redis(schedule)
    assert ended is None or ended.repeats_left == 0  # the series ended
    schedule.refresh_from_db()
    assert schedule.runs == 3 and schedule.last_run_at is not None
    assert schedule.next_run_at is None
    assert finished() == 3


def test_save_reaches_redis_only_on_commit() -> None:
    with transaction.atomic():
        schedule = save_form(interval="60")
        assert in_redis(schedule) is None
    handle = in_redis(schedule)
    assert handle is not None and handle.interval == 60
    schedule.refresh_from_db()
    assert schedule.next_run_at is not None


def test_rolled_back_save_leaves_redis_alone() -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        schedule = save_form(interval="60")
        1 / 0  # noqa: B018
    assert in_redis(schedule) is None


def test_delete_and_disable_remove_it_from_redis() -> None:
    kept = save_form(name="kept", interval="60")
    gone = save_form(name="gone", interval="60")
    gone_id = gone.pk
    gone.delete()
    assert RedisSchedule.fetch(schedule_id_for(gone_id), "default", get_connection()) is None
    kept.enabled = False
    kept.save()
    assert in_redis(kept) is None
    kept.enabled = True
    kept.save()
    assert in_redis(kept) is not None


def test_moving_to_another_queue_moves_it() -> None:
    schedule = save_form(interval="60")
    schedule.queue = "high"
    schedule.save()
    assert in_redis(schedule, "default") is None
    assert in_redis(schedule, "high") is not None


def test_an_edit_that_keeps_the_timing_keeps_the_series() -> None:
    first_run = timezone.now() + dt.timedelta(hours=1)
    schedule = save_form(interval="3600", first_run=first_run.isoformat(), repeat="5")
    before = in_redis(schedule)
    assert before is not None and before.next_run == first_run.replace(
        microsecond=first_run.microsecond // 1000 * 1000
    )
    schedule.name = "renamed"
    schedule.args = [1]
    schedule.save()
    after = in_redis(schedule)
    assert after is not None and after.next_run == before.next_run and after.repeats_left == 5
    assert after.template.args == [1]
    schedule.interval = 60
    schedule.first_run = None
    schedule.save()
    moved = in_redis(schedule)
    assert moved is not None and moved.interval == 60
    assert moved.next_run is not None and moved.next_run < before.next_run  # type: ignore[operator]


def test_cron_schedule_in_its_time_zone() -> None:
    schedule = save_form(cron="30 7 * * *", timezone="America/New_York")
    handle = in_redis(schedule)
    assert handle is not None and handle.timezone == "America/New_York"
    nxt = handle.next_run
    assert nxt is not None
    local = nxt.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (7, 30)


def test_cron_defaults_to_django_time_zone() -> None:
    handle = get_scheduler().cron("0 9 * * *", "tests.django.tasks.echo")
    assert handle.timezone == "Europe/Paris"


def test_an_ended_series_is_not_restarted_by_a_save() -> None:
    schedule = save_form(interval="60", repeat="2")
    in_redis(schedule).cancel()  # type: ignore[union-attr]  # as the scheduler does after run 2
    Schedule.objects.filter(pk=schedule.pk).update(runs=2)
    assert sync_schedule(schedule.pk) is None
    assert in_redis(schedule) is None


def test_reconcile_at_start_makes_redis_match_the_database() -> None:
    kept = save_form(name="kept", interval="60")
    disabled = save_form(name="off", interval="60")
    Schedule.objects.filter(pk=disabled.pk).update(enabled=False)  # no signal: Redis still has it
    orphan = get_scheduler().schedule(
        timezone.now(), "tests.django.tasks.echo", interval=60, id=schedule_id_for(999_999)
    )
    RedisSchedule.fetch(schedule_id_for(kept.pk), "default", get_connection()).cancel()  # type: ignore[union-attr]
    foreign = get_scheduler().schedule(timezone.now(), "tests.django.tasks.echo", interval=60)
    assert reconcile() == 1
    assert in_redis(kept) is not None
    assert in_redis(disabled) is None
    assert RedisSchedule.fetch(orphan.id, "default", get_connection()) is None
    assert RedisSchedule.fetch(foreign.id, "default", get_connection()) is not None  # not ours


def test_rqscheduler_burst_reconciles_and_fires(manage: Manage) -> None:
    schedule = save_form(interval="60")
    RedisSchedule.fetch(schedule_id_for(schedule.pk), "default", get_connection()).cancel()  # type: ignore[union-attr]
    manage.run("rqscheduler", "--burst", "--queue", "default")
    assert in_redis(schedule) is not None
    manage.run("rqworker", "--burst")
    assert JobRecord.objects.filter(schedule=schedule, status=JobStatus.FINISHED).count() == 1


def test_worker_with_scheduler_runs_schedules(manage: Manage) -> None:
    """The supervisor reconciles (it uses the database), then forks a fresh child
    per job: no child may inherit its connection."""
    schedule = save_form(interval="1", repeat="2")
    manage.start("rqworker", "--with-scheduler", "--max-jobs-per-child", "1")
    wait_until(
        lambda: JobRecord.objects.filter(schedule=schedule, status="finished").count() == 2,
        timeout=30,
        interval=0.1,
    )


def test_a_schedule_made_now_keeps_now_as_its_first_slot() -> None:
    clicked = timezone.now()
    schedule = save_form(interval="60", first_run=clicked.isoformat())
    handle = in_redis(schedule)
    assert handle is not None and handle.next_run is not None
    assert handle.next_run <= clicked  # not one interval later
    stale = save_form(
        name="old",
        interval="60",
        first_run=(clicked - dt.timedelta(minutes=10, seconds=30)).isoformat(),
    )
    later = in_redis(stale)
    assert later is not None and later.next_run is not None
    assert clicked < later.next_run <= clicked + dt.timedelta(seconds=60)  # on its grid


def test_a_schedule_made_now_runs_within_a_second_then_every_interval(manage: Manage) -> None:
    scheduler = manage.start("rqscheduler")
    manage.start("rqworker", "default")
    wait_until(lambda: "are active" in manage.log(scheduler), timeout=30)
    wait_until(lambda: list_workers(get_connection()), timeout=30)
    clicked = timezone.now()
    schedule = save_form(interval="2", repeat="2", first_run=clicked.isoformat())

    def started() -> list[dt.datetime]:
        rows = JobRecord.objects.filter(schedule=schedule, started_at__isnull=False)
        return sorted(r.started_at for r in rows if r.started_at is not None)

    wait_until(lambda: len(started()) == 2, timeout=20, interval=0.1)
    first, second = started()
    assert first - clicked < dt.timedelta(seconds=1)
    assert dt.timedelta(seconds=1.5) < second - first < dt.timedelta(seconds=2.9)


def test_slots_passed_over_while_no_scheduler_ran_reach_the_row(manage: Manage) -> None:
    schedule = save_form(interval="1", first_run=timezone.now().isoformat())
    time.sleep(7)  # no scheduler: past the grace, the missed slots collapse into one run
    manage.start("rqscheduler")
    manage.start("rqworker", "default")
    wait_until(lambda: JobRecord.objects.filter(schedule=schedule).exists(), timeout=30)
    schedule.refresh_from_db()
    wait_until(lambda: Schedule.objects.get(pk=schedule.pk).skipped >= 5, timeout=5)
    assert Schedule.objects.get(pk=schedule.pk).state == "enabled"


def test_get_scheduler_schedule_with_datetime_now_keeps_now_as_its_first_slot() -> None:
    before = timezone.now()
    handle = get_scheduler().schedule(
        dt.datetime.now(), "tests.django.tasks.echo", interval=60, id="now-naive"
    )
    assert handle.next_run is not None
    assert abs(handle.next_run - before) < dt.timedelta(seconds=1)
