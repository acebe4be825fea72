"""Each management command, run as people run it."""

from __future__ import annotations

import json
import logging
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jobq import keys
from jobq.django_integration import get_connection, get_queue
from jobq.django_integration.models import JobRecord
from jobq.status import JobStatus
from tests.conftest import wait_until

from .conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)


def call(*args: Any, **options: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


# -- rqworker ---------------------------------------------------------------------------


def test_rqworker_runs_queues_in_order_with_a_name(manage: Manage) -> None:
    low = get_queue("low").enqueue("tests.django.tasks.echo", "low")
    high = get_queue("high").enqueue("tests.django.tasks.echo", "high")
    manage.run("rqworker", "high", "low", "--burst", "--name", "night-shift")
    rows = {r.job_id: r for r in JobRecord.objects.all()}
    assert rows[high.id].worker == rows[low.id].worker == "night-shift"
    assert rows[high.id].started_at <= rows[low.id].started_at  # type: ignore[operator]


@pytest.mark.parametrize(("verbosity", "level"), [(0, "WARNING"), (1, "INFO"), (3, "DEBUG")])
def test_rqworker_and_rqscheduler_verbosity_sets_the_log_level(verbosity: int, level: str) -> None:
    logger = logging.getLogger("jobq")
    before = logger.level
    try:
        for command in ("rqworker", "rqscheduler"):
            logger.setLevel(logging.NOTSET)
            call(command, "--burst", verbosity=verbosity)
            assert logging.getLevelName(logger.level) == level, command
    finally:
        logger.setLevel(before)


def test_rqworker_max_jobs(manage: Manage) -> None:
    jobs = [get_queue().enqueue("tests.django.tasks.echo", i) for i in range(3)]
    manage.run("rqworker", "--burst", "--max-jobs", "2")
    statuses = [JobRecord.objects.get(job_id=j.id).status for j in jobs]
    assert statuses == ["finished", "finished", "queued"]


def test_rqworker_takes_rq_class_options(manage: Manage) -> None:
    get_queue().enqueue("tests.django.tasks.echo", 1)
    manage.run(
        "rqworker", "--burst", "--worker-class", "jobq.SimpleWorker", "--job-class", "jobq.Job"
    )
    assert JobRecord.objects.get().status == JobStatus.FINISHED


def test_rqworker_takes_a_sentry_dsn(manage: Manage) -> None:
    job = get_queue().enqueue("tests.django.tasks.echo", 1)
    out = manage.run("rqworker", "--burst", "--sentry-dsn", "https://public@sentry.invalid/1")
    assert "ignored" not in out
    assert JobRecord.objects.get(job_id=job.id).status == JobStatus.FINISHED


def test_rqworker_pool_runs_num_workers_executors(manage: Manage) -> None:
    jobs = [get_queue().enqueue("tests.django.tasks.echo", i) for i in range(4)]
    manage.run("rqworker-pool", "--num-workers", "2", "--burst")
    statuses = {JobRecord.objects.get(job_id=j.id).status for j in jobs}
    assert statuses == {JobStatus.FINISHED}


def test_rqworker_refuses_queues_on_different_connections(manage: Manage, redis_url: str) -> None:
    proc = manage.start(
        "rqworker", "default", "other", "--burst",
        env={**manage.env("tests.django.settings_two_redis")},
    )  # fmt: skip
    assert proc.wait(60) != 0
    assert "use different Redis connections; run one worker per connection" in manage.log(proc)


def test_rqworker_writes_its_pid(manage: Manage, tmp_path: Any) -> None:
    pid_file = tmp_path / "worker.pid"
    proc = manage.start("rqworker", "--burst", "--pid", str(pid_file))
    assert proc.wait(60) == 0, manage.log(proc)
    assert pid_file.read_text() == str(proc.pid)


# -- rqenqueue ----------------------------------------------------------------------------


def test_rqenqueue() -> None:
    out = call("rqenqueue", "tests.django.tasks.echo", "a", "b", "--queue", "high", "-t", "30")
    job_id = out.split()[1]
    assert out == f"Job {job_id} created\n"
    job = get_queue("high").fetch_job(job_id)
    assert job is not None and job.args == ["a", "b"] and job.timeout == 30


def test_rqenqueue_bad_function() -> None:
    with pytest.raises(CommandError, match="dotted path"):
        call("rqenqueue", "echo")


# -- rqsuspend / rqresume -----------------------------------------------------------------


def test_rqsuspend_and_rqresume(manage: Manage) -> None:
    connection = get_connection()
    assert "Workers suspended" in call("rqsuspend")
    assert connection.exists(keys.SUSPENDED)
    job = get_queue().enqueue("tests.django.tasks.echo", 1)
    manage.run("rqworker", "--burst")
    assert job.get_status() == JobStatus.QUEUED  # suspended: not taken
    assert call("rqresume") == "Workers resumed.\n"
    assert not connection.exists(keys.SUSPENDED)
    manage.run("rqworker", "--burst")
    assert job.get_status() == JobStatus.FINISHED


def test_rqsuspend_duration() -> None:
    call("rqsuspend", "--duration", "30")
    assert 0 < get_connection().ttl(keys.SUSPENDED) <= 30
    with pytest.raises(CommandError, match="--duration must be"):
        call("rqsuspend", "-d", "0")


# -- rqstats ------------------------------------------------------------------------------


def test_rqstats_json() -> None:
    get_queue("high").enqueue("tests.django.tasks.echo", 1)
    stats = json.loads(call("rqstats", "--json"))
    assert set(stats["queues"]) == {"default", "high", "low"}
    assert stats["queues"]["high"]["queued"] == 1
    assert stats["workers"] == [] and stats["suspended"] is False


def test_rqstats_table() -> None:
    out = call("rqstats")
    assert out.splitlines()[0].split()[:3] == ["queue", "queued", "scheduled"]
    assert "0 worker(s)" in out


def test_rqstats_interval_refreshes(manage: Manage) -> None:
    proc = manage.start("rqstats", "--json", "--interval", "0.2")
    wait_until(lambda: manage.log(proc).count('"queues"') >= 3, timeout=30)
    manage.stop(proc)
    with pytest.raises(CommandError, match="--interval must be"):
        call("rqstats", "--interval", "0")


def test_commands_are_thin_over_one_connection() -> None:
    start = time.monotonic()
    call("rqstats", "--json")
    assert time.monotonic() - start < 10


#: manage.py commands with bad input; the Redis URL points at a port nothing listens on
_BAD_COMMANDS = {
    "rqworker unreachable burst": ["rqworker", "--burst"],
    "rqworker with scheduler unreachable": ["rqworker", "--burst", "--with-scheduler"],
    "rqworker unknown queue": ["rqworker", "--burst", "bad{q}"],
    "rqscheduler unreachable burst": ["rqscheduler", "--burst"],
    "rqscheduler unknown queue": ["rqscheduler", "--burst", "--queue", "nope"],
    "rqstats unreachable": ["rqstats"],
    "rqstats json unreachable": ["rqstats", "--json"],
    "rqenqueue unreachable": ["rqenqueue", "tests.django.tasks.add", "1", "2"],
    "rqsuspend unreachable": ["rqsuspend"],
    "rqresume unreachable": ["rqresume"],
}


@pytest.mark.parametrize("case", list(_BAD_COMMANDS))
def test_management_commands_never_print_a_traceback(manage: Manage, case: str) -> None:
    env = {**manage.env(), "JOBQ_TEST_REDIS_URL": "redis://127.0.0.1:1/0"}
    proc = manage.start(*_BAD_COMMANDS[case], env=env)
    assert proc.wait(60) != 0, manage.log(proc)
    out = manage.log(proc)
    assert "Traceback" not in out, out
    assert [line for line in out.splitlines() if line.startswith("CommandError: ")], out
