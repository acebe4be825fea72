"""The jobq command line: info, enqueue, requeue, empty, suspend/resume."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import redis
from click.testing import CliRunner, Result

from jobq import Job, Queue, keys
from jobq.cli import main
from jobq.status import JobStatus
from tests.conftest import ROOT
from tests.fixtures import jobs
from tests.helpers import burst


@pytest.fixture
def jobq_cli(redis_url: str) -> object:
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["--url", redis_url, *args], catch_exceptions=False)

    return run


def test_info_json(jobq_cli, queue: Queue, connection: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    queue.enqueue(jobs.fail)
    burst(queue, connection)
    queue.enqueue(jobs.noop)
    queue.enqueue(jobs.noop)
    Queue("other", connection).enqueue(jobs.noop)
    result = jobq_cli("info", "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["queues"]["default"]["queued"] == 2
    assert stats["queues"]["default"]["failed"] == 1
    assert stats["queues"]["other"]["queued"] == 1
    assert stats["suspended"] is False
    assert stats["workers"] == []
    only = json.loads(jobq_cli("info", "--json", "other").output)
    assert list(only["queues"]) == ["other"]


def test_info_table(jobq_cli, queue: Queue) -> None:  # type: ignore[no-untyped-def]
    queue.enqueue(jobs.noop)
    result = jobq_cli("info")
    assert result.exit_code == 0
    header, row = result.output.splitlines()[:2]
    assert header.split()[:3] == ["queue", "queued", "scheduled"]
    assert row.split()[:2] == ["default", "1"]
    assert "0 worker(s)" in result.output


def test_enqueue_with_json_arguments(jobq_cli, connection: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    result = jobq_cli(
        "enqueue", "tests.fixtures.jobs.add", "--args", "[1]", "--kwargs", '{"b": 2}',
        "--queue", "cli", "--timeout", "5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    job = Job.fetch(result.output.strip(), connection)
    assert (job.origin, job.args, job.kwargs, job.timeout) == ("cli", [1], {"b": 2}, 5)
    burst(Queue("cli", connection), connection)
    assert job.result == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["--args", "[1, 2"], "not valid JSON"),
        (["--args", '{"a": 1}'], "must be a JSON array"),
        (["--kwargs", "[1]"], "must be a JSON object"),
        (["--kwargs", "{'a': 1}"], "not valid JSON"),
    ],
)
def test_enqueue_with_malformed_json_is_a_clear_error(
    jobq_cli,
    connection: redis.Redis,
    args: list[str],
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    result = jobq_cli("enqueue", "tests.fixtures.jobs.add", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert args[0] in result.output  # names the option
    assert connection.dbsize() == 0


def test_enqueue_bad_function_path(jobq_cli, connection: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    result = jobq_cli("enqueue", "nodots")
    assert result.exit_code == 1
    assert "dotted path" in result.output
    assert connection.dbsize() == 0


def test_requeue_all_and_by_id(jobq_cli, connection: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    q1, q2 = Queue("one", connection), Queue("two", connection)
    a, b, c = q1.enqueue(jobs.fail), q1.enqueue(jobs.fail), q2.enqueue(jobs.fail)
    burst([q1, q2], connection)
    result = jobq_cli("requeue", a.id)
    assert result.output.strip() == "requeued 1 job(s)"
    assert a.get_status() == JobStatus.QUEUED
    result = jobq_cli("requeue", "--all")
    assert result.output.strip() == "requeued 2 job(s)"
    assert b.get_status() == c.get_status() == JobStatus.QUEUED
    assert q1.failed_job_registry.count == q2.failed_job_registry.count == 0
    assert jobq_cli("requeue").exit_code == 2  # neither ids nor --all


def test_empty(jobq_cli, queue: Queue) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        queue.enqueue(jobs.noop)
    result = jobq_cli("empty", "default")
    assert result.output.strip() == "default: 3 job(s) removed"
    assert queue.count == 0


def test_suspend_and_resume(jobq_cli, connection: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    assert jobq_cli("suspend").output.strip() == "workers suspended"
    assert connection.exists(keys.SUSPENDED)
    assert connection.ttl(keys.SUSPENDED) == -1
    assert json.loads(jobq_cli("info", "--json").output)["suspended"] is True
    assert jobq_cli("resume").output.strip() == "workers resumed"
    assert not connection.exists(keys.SUSPENDED)
    jobq_cli("suspend", "--duration", "30")
    assert 0 < connection.ttl(keys.SUSPENDED) <= 30
    assert jobq_cli("suspend", "--duration", "0").exit_code == 2


def test_url_from_the_environment(redis_url: str, connection: redis.Redis) -> None:
    result = CliRunner().invoke(main, ["suspend"], env={"JOBQ_REDIS_URL": redis_url})
    assert result.exit_code == 0
    assert connection.exists(keys.SUSPENDED)


def test_python_dash_m_jobq(redis_url: str, queue: Queue) -> None:
    queue.enqueue(jobs.noop)
    done = subprocess.run(
        [sys.executable, "-m", "jobq", "--url", redis_url, "info", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["queues"]["default"]["queued"] == 1


def test_info_says_a_silent_worker_is_dead_with_the_jobs_it_held(  # type: ignore[no-untyped-def]
    jobq_cli, connection: redis.Redis
) -> None:
    from jobq import Queue, keys, transitions
    from jobq.worker.maintenance import Maintenance, WorkerRecord

    queue = Queue("default", connection)
    job, ahead = (
        queue.enqueue("tests.fixtures.jobs.noop"),
        queue.enqueue("tests.fixtures.jobs.noop"),
    )
    transitions.dequeue(connection, queue.keys, "gone", 2, 30_000)  # one runs, one fetched ahead
    Maintenance(connection, [], WorkerRecord("gone", ["default"], 1), lease_seconds=30).publish(
        "busy", [job.id], 0, 0, {"default": [job.id, ahead.id]}
    )
    stats = json.loads(jobq_cli("info", "--json").output)
    (worker,) = stats["workers"]
    assert worker["alive"] is True and worker["current_jobs"] == [job.id]
    connection.hset(keys.worker("gone"), "heartbeat", transitions.now_ms() - 4000)  # silent 4 s
    stats = json.loads(jobq_cli("info", "--json").output)
    (worker,) = stats["workers"]
    assert worker["alive"] is False and worker["silent_seconds"] >= 4
    assert [(h["id"], h["queue"]) for h in worker["held"]] == [
        (job.id, "default"),
        (ahead.id, "default"),
    ]
    assert worker["held"][0]["lease_until"] > transitions.now_ms()
    assert "gone  dead (silent" in jobq_cli("info").output


def _live_info(processes, redis_url: str, *args: str):  # type: ignore[no-untyped-def]
    from tests.conftest import _env

    argv = [sys.executable, "-m", "jobq", "--url", redis_url, "info", "--interval", "0.3", *args]
    return processes.spawn(argv, _env())


def test_info_interval_redraws_in_place_and_ctrl_c_exits_cleanly(
    redis_url: str, queue: Queue, connection: redis.Redis
) -> None:
    """On a terminal (a pty here) each view clears the screen and replaces the last."""
    import os
    import pty
    import signal

    from jobq.cli.info import CLEAR
    from tests.conftest import _env, wait_until

    queue.enqueue(jobs.add, 1, 2)
    burst(queue, connection)
    parent, child = pty.openpty()
    argv = [sys.executable, "-m", "jobq", "--url", redis_url, "info", "--interval", "0.3"]
    proc = subprocess.Popen(argv, env=_env(), stdout=child, stderr=child, start_new_session=True)
    os.close(child)
    out = b""

    def drain() -> bool:
        nonlocal out
        out += os.read(parent, 65536)
        return out.count(CLEAR.encode()) >= 2

    try:
        wait_until(drain, timeout=20)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        try:
            while chunk := os.read(parent, 65536):
                out += chunk
        except OSError:
            pass  # the pty closes with the process
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(parent)
    text = out.decode(errors="replace")
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    last = text.split(CLEAR)[-1].splitlines()
    assert last[0].split()[-6:] == ["done", "failed", "run", "p95", "wait", "p95"]
    row = next(line for line in last if line.startswith("default "))
    assert "ms" in row  # the job's run p95 over the last minute


def test_info_json_interval_prints_one_document_per_line(  # type: ignore[no-untyped-def]
    processes, redis_url: str, queue: Queue, connection: redis.Redis
) -> None:
    import signal

    from tests.conftest import wait_until

    queue.enqueue(jobs.add, 1, 2)
    burst(queue, connection)
    proc = _live_info(processes, redis_url, "--json")
    wait_until(lambda: processes.log(proc).count("\n") >= 2, timeout=20)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0
    docs = [json.loads(line) for line in processes.log(proc).splitlines() if line]
    assert len(docs) >= 2
    assert docs[-1]["history"]["queues"]["default"]["summary"]["finished"] == 1
