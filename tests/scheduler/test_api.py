"""rq-scheduler's API on real Redis, driven by an injected clock (nothing sleeps)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
import redis

from jobq import Job, Queue
from jobq.keys import QueueKeys
from jobq.scheduler import Schedule, Scheduler, Ticker, scheduler_hook
from jobq.status import JobStatus
from tests.helpers import burst

from .conftest import T0, FakeClock

NOOP = "tests.fixtures.jobs.noop"
ADD = "tests.fixtures.jobs.add"
Q = QueueKeys("default")


def queued_ids(connection: redis.Redis, name: str = "default") -> list[str]:
    return [i.decode() for i in connection.lrange(QueueKeys(name).queued, 0, -1)]


def test_schedule_returns_a_handle_and_stores_the_schedule(
    scheduler: Scheduler, clock: FakeClock
) -> None:
    s = scheduler.schedule(clock.at(1000), ADD, args=[1, 2], interval=0.25, meta={"k": "v"})
    assert isinstance(s, Schedule)
    assert s in scheduler and s.id in scheduler
    assert (s.interval, s.repeat, s.repeats_left, s.runs, s.last_run) == (0.25, None, None, 0, None)
    assert s.next_run == clock.at(1000)
    assert s.func_name == ADD and s.args == [1, 2] and s.meta == {"k": "v"}
    assert s.description == f"{ADD}(1, 2)"
    assert scheduler.count() == 1
    assert scheduler.get_jobs(with_times=True) == [(s, clock.at(1000))]
    assert scheduler.get_jobs(until=clock.at(999)) == []


def test_each_slot_is_a_new_job_linked_to_its_schedule(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    s = scheduler.schedule(clock.at(0), ADD, args=[2, 3], interval=0.5, meta={"k": "v"}, id="sum")
    for _ in range(3):
        ticker.run_once()
        clock.advance(0.5)
    runs = [f"sum@{T0 + k * 500}" for k in range(3)]
    assert queued_ids(connection) == runs
    burst(Queue("default", connection), connection)
    for k, run_id in enumerate(runs):
        job = Job.fetch(run_id, connection)
        assert job.schedule_id == "sum"
        assert job.slot == clock.at(k * 500)
        assert job.meta == {
            "k": "v", "schedule_id": "sum", "slot": clock.at(k * 500).isoformat(timespec="milliseconds"),
        }  # fmt: skip
        assert job.get_status() == JobStatus.FINISHED and job.result == 5  # its own result
    s.refresh()
    assert (s.runs, s.last_run, s.next_run, s.last_job_id) == (
        3,
        clock.at(1000),
        clock.at(1500),
        runs[-1],
    )


def test_repeat_fires_exactly_n_runs_then_the_schedule_ends(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    s = scheduler.schedule(clock.at(0), NOOP, interval=1, repeat=3)
    for _ in range(6):
        ticker.run_once()
        clock.advance(1)
    assert len(queued_ids(connection)) == 3
    s.refresh()
    assert s.ended and s.runs == 3 and s.repeats_left == 0 and s.next_run is None
    assert s.last_run == clock.at(2000)
    assert s not in scheduler and scheduler.count() == 0


def test_one_off_schedule_fires_once(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    scheduler.schedule(clock.at(-60_000), NOOP, id="once")  # in the past: fires at once
    ticker.run_once()
    clock.advance(10)
    ticker.run_once()
    assert queued_ids(connection) == [f"once@{T0 - 60_000}"]
    assert "once" not in scheduler


def test_missed_slots_fire_once_on_return(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    s = scheduler.schedule(clock.at(0), NOOP, interval=10, id="m")
    ticker.run_once()
    clock.advance(3600 + 3)  # the scheduler was down for an hour
    ticker.run_once()
    assert queued_ids(connection) == [f"m@{T0}", f"m@{T0 + 3600_000}"]
    s.refresh()
    assert s.skipped == 359 and s.next_run == clock.at(3610_000)  # phase kept, no drift


def test_catch_up_fires_the_missed_slots_bounded(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    scheduler.schedule(clock.at(0), NOOP, interval=10, id="c", catch_up=4)
    ticker.run_once()
    clock.advance(3600)
    ticker.run_once()
    assert queued_ids(connection)[1:] == [
        f"c@{T0 + ms}" for ms in (3570_000, 3580_000, 3590_000, 3600_000)
    ]


def test_two_schedulers_never_fire_a_slot_twice(
    connection: redis.Redis, clock: FakeClock, scheduler: Scheduler
) -> None:
    scheduler.schedule(clock.at(0), NOOP, interval=0.1, id="d")
    a, b = Ticker(connection, clock=clock), Ticker(connection, clock=clock)
    for _ in range(50):
        a.run_once()
        b.run_once()  # sees the same slot due a moment later: compare-and-set says no
        clock.advance(0.1)
    ids = queued_ids(connection)
    assert ids == [f"d@{T0 + 100 * k}" for k in range(50)]


def test_only_the_lock_holder_fires(
    connection: redis.Redis, clock: FakeClock, scheduler: Scheduler
) -> None:
    scheduler.schedule(clock.at(0), NOOP, interval=1, id="l")
    a, b = Ticker(connection, clock=clock), Ticker(connection, clock=clock)
    a.step()
    assert a.lock.held and b.step() == pytest.approx(min(b.interval, b.lock.renew_every))
    assert not b.lock.held
    assert len(queued_ids(connection)) == 1
    a.close()
    assert b.lock.hold()


def test_cron_first_slot_follows_the_injected_clock_and_zone(
    scheduler: Scheduler, clock: FakeClock
) -> None:
    s = scheduler.cron("0 9 * * *", NOOP, timezone="Europe/Athens")  # 09:00 EEST = 06:00 UTC
    assert s.next_run == dt.datetime(2030, 6, 2, 6, tzinfo=dt.UTC)
    assert (s.cron_string, s.timezone) == ("0 9 * * *", "Europe/Athens")
    s2 = scheduler.cron("*/5 * * * *", NOOP)
    assert s2.timezone == "UTC" and s2.next_run == clock.at(5 * 60_000)


def test_cron_fires_and_computes_the_next_slot_in_python(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    s = scheduler.cron("* * * * *", NOOP, id="every-minute", repeat=2)
    clock.advance(60)
    ticker.run_once()
    s.refresh()
    assert s.next_run == clock.at(120_000)
    clock.advance(60)
    ticker.run_once()
    assert queued_ids(connection) == [f"every-minute@{T0 + 60_000}", f"every-minute@{T0 + 120_000}"]
    assert "every-minute" not in scheduler


def test_use_local_timezone(scheduler: Scheduler, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert scheduler.cron("0 0 * * *", NOOP, use_local_timezone=True).timezone == "Asia/Tokyo"
    with pytest.raises(ValueError, match="either timezone"):
        scheduler.cron("0 0 * * *", NOOP, use_local_timezone=True, timezone="UTC")


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_naive_datetimes_are_local_time(scheduler: Scheduler, tokyo: None) -> None:
    s = scheduler.schedule(dt.datetime(2024, 6, 1, 21, 0), NOOP)  # 21:00 JST
    assert s.next_run == dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    aware = scheduler.schedule(dt.datetime(2024, 6, 1, 21, 0, tzinfo=dt.UTC), NOOP)
    assert aware.next_run == dt.datetime(2024, 6, 1, 21, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, t: s.cron("61 * * * *", NOOP), "invalid cron string"),
        (lambda s, t: s.cron("* * * * *", NOOP, timezone="Nowhere/Town"), "unknown time zone"),
        (lambda s, t: s.schedule(t, NOOP, interval=0), "interval must be a positive"),
        (lambda s, t: s.schedule(t, NOOP, interval=-1.5), "interval must be a positive"),
        (lambda s, t: s.schedule(t, "tests.fixtures.jobs.missing"), "cannot schedule"),
        (lambda s, t: s.schedule(t, "no_such_module.func"), "cannot schedule"),
        (lambda s, t: s.schedule(t, "nodots"), "dotted path"),
        (lambda s, t: s.schedule(t, "tests.fixtures.jobs.not_callable"), "not callable"),
        (lambda s, t: s.schedule(t, NOOP, repeat=3), "repeat needs an interval"),
        (lambda s, t: s.schedule(t, NOOP, interval=1, repeat=0), "repeat must be"),
        (lambda s, t: s.schedule(t, NOOP, id="has space"), "schedule id"),
        (lambda s, t: s.cron("0 0 30 2 *", NOOP), "never matches"),
    ],
)
def test_bad_input_is_a_value_error_and_stores_nothing(
    scheduler: Scheduler, clock: FakeClock, connection: redis.Redis, call: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(scheduler, clock.at(0))  # type: ignore[operator]
    assert connection.dbsize() == 0


def test_cancel_removes_the_schedule_and_its_pending_run(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    s = scheduler.schedule(clock.at(0), NOOP, interval=1, id="x")
    ticker.run_once()  # a run waits in the queue (no worker)
    run = Job.fetch(f"x@{T0}", connection)
    assert scheduler.cancel(s) is True
    assert s not in scheduler and "x" not in scheduler and scheduler.count() == 0
    assert run.get_status() == JobStatus.CANCELED
    assert queued_ids(connection) == []
    clock.advance(5)
    ticker.run_once()
    assert queued_ids(connection) == []  # nothing fires any more
    assert scheduler.cancel("x") is False and scheduler.cancel("unknown") is False


def test_cancel_by_id(scheduler: Scheduler, clock: FakeClock) -> None:
    scheduler.schedule(clock.at(0), NOOP, interval=1, id="by-id")
    assert scheduler.cancel("by-id") is True
    assert "by-id" not in scheduler


def test_replacing_a_schedule_by_id(scheduler: Scheduler, clock: FakeClock) -> None:
    scheduler.schedule(clock.at(0), NOOP, interval=1, id="r")
    s = scheduler.schedule(clock.at(5000), ADD, args=[1, 1], interval=2, id="r")
    assert scheduler.count() == 1
    [again] = scheduler.get_jobs()
    assert again == s and again.func_name == ADD and again.interval == 2


def test_change_execution_time(scheduler: Scheduler, clock: FakeClock) -> None:
    s = scheduler.schedule(clock.at(0), NOOP, interval=1)
    scheduler.change_execution_time(s, clock.at(60_000))
    s.refresh()
    assert s.next_run == clock.at(60_000)
    job = scheduler.enqueue_at(clock.at(1000), NOOP)
    scheduler.change_execution_time(job, clock.at(2000))
    assert scheduler.get_jobs(with_times=True)[0] == (job, clock.at(2000))
    with pytest.raises(ValueError):
        scheduler.change_execution_time("nope", clock.at(0))


def test_enqueue_at_and_in_with_rq_scheduler_option_names(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    job = scheduler.enqueue_at(
        clock.at(2000), ADD, 1, b=2, job_id="j1", job_description="adds", meta={"m": 1},
        timeout=30, job_result_ttl=60, queue_name="other",
    )  # fmt: skip
    later = scheduler.enqueue_in(dt.timedelta(seconds=10), NOOP)
    assert job.id == "j1" and job.origin == "other" and job.get_status() == JobStatus.SCHEDULED
    assert (job.args, job.kwargs, job.description, job.meta, job.timeout, job.result_ttl) == (
        [1], {"b": 2}, "adds", {"m": 1}, 30, 60,
    )  # fmt: skip
    assert job in scheduler and "j1" in scheduler
    assert scheduler.get_jobs(with_times=True) == [(job, clock.at(2000)), (later, clock.at(10_000))]
    assert scheduler.count(until=clock.at(5000)) == 1
    assert scheduler.count(until=dt.timedelta(seconds=20)) == 2
    clock.advance(2)
    ticker.run_once()
    assert queued_ids(connection, "other") == ["j1"]
    assert job not in scheduler
    assert scheduler.cancel(later) is True and later.get_status() == JobStatus.CANCELED


def test_get_jobs_orders_schedules_and_jobs_by_time(scheduler: Scheduler, clock: FakeClock) -> None:
    a = scheduler.schedule(clock.at(3000), NOOP, interval=5, queue_name="q2")
    b = scheduler.enqueue_at(clock.at(1000), NOOP)
    c = scheduler.cron("*/10 * * * *", NOOP)
    assert scheduler.get_jobs() == [b, a, c]
    assert scheduler.get_jobs(offset=1, length=1) == [a]
    assert [t for _, t in scheduler.get_jobs(with_times=True)] == [
        clock.at(1000), clock.at(3000), clock.at(600_000),
    ]  # fmt: skip


def test_worker_hook_fires_when_it_holds_the_lock(
    scheduler: Scheduler, clock: FakeClock, connection: redis.Redis
) -> None:
    scheduler.schedule(clock.at(0), NOOP, interval=1, id="h")
    hook = scheduler_hook(clock=clock)
    hook(connection)
    clock.advance(1)
    hook(connection)
    assert queued_ids(connection) == [f"h@{T0}", f"h@{T0 + 1000}"]


def test_scheduler_built_from_a_queue(connection: redis.Redis, clock: FakeClock) -> None:
    q = Queue("low", connection=connection)
    s = Scheduler(queue=q, clock=clock).schedule(clock.at(0), NOOP, interval=1)
    assert s.queue_name == "low"
    with pytest.raises(ValueError, match="interval"):
        Scheduler(queue=q, interval=0)


def test_the_scheduler_returns_expired_leases_to_their_queue(
    connection: redis.Redis, ticker: Ticker, clock: FakeClock
) -> None:
    q = Queue("default", connection=connection)
    job = q.enqueue(NOOP)
    connection.lpop(Q.queued)
    connection.hset(Q.job(job.id), mapping={"status": "started", "worker": "gone"})
    connection.zadd(Q.started, {job.id: clock.ms - 1})  # its worker died: the lease expired
    ticker.run_once()
    assert queued_ids(connection) == [job.id]
    assert job.get_status() == JobStatus.QUEUED and job.reason == "worker died"


def test_a_redis_error_while_waiting_does_not_end_the_scheduler_loop() -> None:
    """The loop sleeps in a BLPOP on its wake list; Redis failing over or restarting
    at that moment is waited out like any other pass (it once ended the loop)."""
    from jobq.embedded import EmbeddedRedis

    with EmbeddedRedis() as server:
        connection = redis.Redis(port=server.port, socket_timeout=2)
        ticker = Ticker(connection)
        server.stop()
        began = time.monotonic()
        ticker.wait(0.5)  # a connection error inside: logged, then the rest is slept
        assert time.monotonic() - began >= 0.4
        connection.close()


def test_a_schedule_made_now_fires_its_first_slot_at_once_then_every_interval(
    scheduler: Scheduler, ticker: Ticker, clock: FakeClock, connection: redis.Redis
) -> None:
    # schedule(datetime.now(), ...) reaches Redis a few ms after "now"
    s = scheduler.schedule(clock.at(-3), NOOP, interval=60, id="now")
    ticker.run_once()
    assert queued_ids(connection) == [f"now@{T0 - 3}"]
    s.refresh()
    assert s.next_run == clock.at(60_000 - 3)


def test_work_with_scheduler_fires_due_schedules_as_rqs_does(connection: redis.Redis) -> None:
    """``worker.work(with_scheduler=True)``: the worker runs the scheduler's pass
    under the scheduler lock; a schedule due now fires once and its run is done in
    the same burst, though two workers were asked to schedule."""
    from jobq import SimpleWorker

    queue = Queue("default", connection)
    schedule = Scheduler(queue=queue, connection=connection).schedule(
        dt.datetime.now(dt.UTC), ADD, args=(2, 3), interval=3600
    )
    for _ in range(2):
        SimpleWorker([queue], connection).work(burst=True, with_scheduler=True)
    runs = queue.finished_job_registry.get_job_ids()
    assert len(runs) == 1 and runs[0].startswith(schedule.id)
    assert Job.fetch(runs[0], connection).result == 5


def test_work_without_scheduler_fires_nothing(connection: redis.Redis) -> None:
    from jobq import SimpleWorker

    queue = Queue("default", connection)
    Scheduler(queue=queue, connection=connection).schedule(
        dt.datetime.now(dt.UTC), ADD, args=(2, 3), interval=3600
    )
    SimpleWorker([queue], connection).work(burst=True)
    assert queue.finished_job_registry.get_job_ids() == []
