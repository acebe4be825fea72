"""SimpleWorker and Worker in burst mode: concurrency, job budgets, queue priority,
async jobs, suspension, and the worker registry."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from jobq import Queue, SimpleWorker, Worker, keys
from jobq.status import JobStatus
from tests.fixtures import jobs
from tests.helpers import assert_all_ended, burst


def test_simple_worker_runs_every_job_in_this_process(
    queue: Queue, connection: redis.Redis
) -> None:
    import os

    ids = [queue.enqueue(jobs.getpid_after, 0).id for _ in range(5)]
    worker = SimpleWorker([queue], connection, name="simple-1")
    assert worker.work(burst=True) is True
    assert_all_ended(connection, "default", ids)
    assert {queue.fetch_job(i).result for i in ids} == {os.getpid()}  # type: ignore[union-attr]
    assert connection.zscore(keys.WORKERS, "simple-1") is None  # unregistered on exit


def test_worker_with_two_executors(queue: Queue, connection: redis.Redis) -> None:
    import os

    ids = [queue.enqueue(jobs.getpid_after, 0.15).id for _ in range(8)]
    Worker([queue], connection, concurrency=2).work(burst=True)
    assert_all_ended(connection, "default", ids)
    pids = {queue.fetch_job(i).result for i in ids}  # type: ignore[union-attr]
    assert len(pids) == 2
    assert os.getpid() not in pids


def test_worker_max_jobs(queue: Queue, connection: redis.Redis) -> None:
    ids = [queue.enqueue(jobs.noop).id for _ in range(10)]
    Worker([queue], connection, concurrency=2).work(burst=True, max_jobs=3)
    assert queue.finished_job_registry.count == 3
    assert queue.count == 7
    assert queue.started_job_registry.count == 0
    assert sorted(queue.job_ids + queue.finished_job_registry.get_job_ids()) == sorted(ids)


def test_simple_worker_max_jobs(queue: Queue, connection: redis.Redis) -> None:
    for _ in range(5):
        queue.enqueue(jobs.noop)
    SimpleWorker([queue], connection).work(burst=True, max_jobs=2)
    assert queue.finished_job_registry.count == 2
    assert queue.count == 3


def test_max_jobs_per_child_gives_each_job_a_fresh_process(
    queue: Queue, connection: redis.Redis
) -> None:
    ids = [queue.enqueue(jobs.getpid_after, 0).id for _ in range(4)]
    Worker([queue], connection, max_jobs_per_child=1).work(burst=True)
    assert_all_ended(connection, "default", ids)
    pids = [queue.fetch_job(i).result for i in ids]  # type: ignore[union-attr]
    assert len(set(pids)) == 4


def test_max_jobs_per_child_with_two_executors(queue: Queue, connection: redis.Redis) -> None:
    ids = [queue.enqueue(jobs.getpid_after, 0).id for _ in range(6)]
    Worker([queue], connection, concurrency=2, max_jobs_per_child=2).work(burst=True)
    assert_all_ended(connection, "default", ids)
    pids = [queue.fetch_job(i).result for i in ids]  # type: ignore[union-attr]
    assert len(set(pids)) >= 3


def test_strict_priority_across_queues(connection: redis.Redis, tmp_path: Path) -> None:
    log = str(tmp_path / "order")
    high, low = Queue("high", connection), Queue("low", connection)
    lows = [low.enqueue(jobs.mark, log).id for _ in range(3)]
    highs = [high.enqueue(jobs.mark, log).id for _ in range(3)]
    burst([high, low], connection)
    assert Path(log).read_text().split() == highs + lows


def test_worker_strict_priority_across_queues(connection: redis.Redis, tmp_path: Path) -> None:
    log = str(tmp_path / "order")
    high, low = Queue("high", connection), Queue("low", connection)
    lows = [low.enqueue(jobs.mark, log).id for _ in range(3)]
    highs = [high.enqueue(jobs.mark, log).id for _ in range(3)]
    Worker(["high", "low"], connection).work(burst=True)
    assert Path(log).read_text().split() == highs + lows


def test_async_jobs(queue: Queue, connection: redis.Redis) -> None:
    a = queue.enqueue(jobs.async_add, 1, 2)
    b = queue.enqueue(jobs.async_add, 3, 4)
    burst(queue, connection)
    assert (a.result, b.result) == (3, 7)
    c = queue.enqueue(jobs.async_add, 5, 6)
    Worker([queue], connection).work(burst=True)
    assert c.result == 11


def test_each_async_job_sees_itself_as_the_current_job(
    queue: Queue, connection: redis.Redis
) -> None:
    """The executor's event loop outlives one job; each coroutine still runs in its
    own job's context, not the first one's."""
    ids = [queue.enqueue(jobs.async_own_id) for _ in range(3)]
    burst(queue, connection)
    assert [j.result for j in ids] == [j.id for j in ids]


def test_simple_worker_job_timeout(queue: Queue, connection: redis.Redis) -> None:
    slow = queue.enqueue(jobs.sleep, 5, job_timeout=0.3)
    busy = queue.enqueue(jobs.busy_loop, 5, job_timeout=0.3)
    after = queue.enqueue(jobs.add, 1, 1)
    burst(queue, connection)
    for job in (slow, busy):
        assert job.get_status() == JobStatus.FAILED
        assert job.reason == "timeout"
        assert "JobTimeoutException" in (job.exc_info or "")
    assert after.result == 2


def test_suspended_burst_workers_take_nothing(queue: Queue, connection: redis.Redis) -> None:
    job = queue.enqueue(jobs.noop)
    connection.set(keys.SUSPENDED, "1")
    SimpleWorker([queue], connection).work(burst=True)
    Worker([queue], connection).work(burst=True)
    assert job.get_status() == JobStatus.QUEUED
    connection.delete(keys.SUSPENDED)
    SimpleWorker([queue], connection).work(burst=True)
    assert job.get_status() == JobStatus.FINISHED


def test_worker_all_lists_live_workers(queue: Queue, connection: redis.Redis) -> None:
    seen: list[list[dict[str, str]]] = []

    def record() -> None:
        seen.append(Worker.all(connection))

    from jobq.hooks import BaseHook

    class Spy(BaseHook):
        def before_job(self, job: object) -> None:
            record()

    queue.enqueue(jobs.noop)
    SimpleWorker([queue], connection, name="w-listed", hooks=[Spy()]).work(burst=True)
    assert [w["name"] for w in seen[0]] == ["w-listed"]
    assert seen[0][0]["queues"] == "default"
    assert Worker.all(connection) == []


def test_simple_worker_pauses_while_suspended_and_resumes(
    queue: Queue, connection: redis.Redis
) -> None:
    import threading
    import time

    from tests.conftest import wait_until

    connection.set(keys.SUSPENDED, "1")
    worker = SimpleWorker([queue], connection, lease_seconds=0.6)
    thread = threading.Thread(target=worker.work, daemon=True)
    thread.start()
    try:
        job = queue.enqueue(jobs.noop)
        time.sleep(0.8)
        assert job.get_status() == JobStatus.QUEUED
        connection.delete(keys.SUSPENDED)
        wait_until(lambda: job.get_status() == JobStatus.FINISHED, timeout=10)
        connection.set(keys.SUSPENDED, "1")
        time.sleep(1.5)  # upkeep runs every 0.5 s; give it a few ticks to see the flag
        later_job = queue.enqueue(jobs.noop)
        time.sleep(0.5)
        assert later_job.get_status() == JobStatus.QUEUED
    finally:
        worker.request_stop()
        thread.join(10)
    assert not thread.is_alive()


def test_worker_process_suspend_and_resume(processes, queue: Queue, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    import signal
    import time

    from click.testing import CliRunner

    from jobq.cli import main
    from tests.conftest import wait_until

    def cli(*args: str) -> None:
        assert CliRunner().invoke(main, ["--url", redis_url, *args]).exit_code == 0

    worker = processes.worker("--lease", "1")
    first = queue.enqueue(jobs.noop)
    wait_until(lambda: first.get_status() == JobStatus.FINISHED, timeout=20)
    cli("suspend")
    time.sleep(1.5)  # upkeep ticks every 0.5 s and heartbeats every lease / 3
    held = queue.enqueue(jobs.noop)
    time.sleep(1.0)
    assert held.get_status() == JobStatus.QUEUED
    assert worker.poll() is None
    cli("resume")
    wait_until(lambda: held.get_status() == JobStatus.FINISHED, timeout=20)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0


def test_job_timeout_minus_one_is_no_timeout(queue: Queue, connection: redis.Redis) -> None:
    """rq's -1 (and 0): no limit. The supervisor used to kill such a job after its
    grace of about a second, as if it had overrun a timeout of -1 s."""
    job = queue.enqueue(jobs.sleep, 2.5, job_timeout=-1)
    Worker([queue], connection).work(burst=True)
    assert job.get_status() == JobStatus.FINISHED


def test_a_second_worker_with_the_same_name_refuses_to_start(
    processes, queue: Queue, connection: redis.Redis, redis_url: str
) -> None:  # type: ignore[no-untyped-def]
    """As rq does: while a worker of that name heartbeats, another refuses with a clear
    error (no traceback) and the first goes on; once the first's record expired (its
    heartbeat stopped), the name is free again."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import _env, wait_until

    first = processes.worker("--name", "w-same")
    wait_until(lambda: [w["name"] for w in Worker.all(connection)] == ["w-same"], timeout=30)

    def start_second(*args: str) -> subprocess.CompletedProcess[bytes]:
        argv = [sys.executable, "-m", "jobq", "worker", "--url", redis_url, "--name", "w-same"]
        return subprocess.run([*argv, *args], env=_env(), capture_output=True, timeout=60)

    for args in ((), ("--simple",)):
        second = start_second("--burst", *args)
        out = (second.stdout + second.stderr).decode()
        assert second.returncode != 0, out
        assert "a worker named 'w-same' is already running" in out, out
        assert "Traceback" not in out, out
    assert first.poll() is None
    job = queue.enqueue(jobs.add, 1, 2)
    assert job.wait(20) == 3  # the first still works, its record intact
    assert connection.hget(keys.worker("w-same"), "pid") == str(first.pid).encode()

    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    connection.pexpire(keys.worker("w-same"), 1)  # as if WORKER_TTL_SECONDS had passed
    time.sleep(0.05)
    again = start_second("--burst")
    assert again.returncode == 0, (again.stdout + again.stderr).decode()


def test_a_worker_object_refuses_a_live_name(queue: Queue, connection: redis.Redis) -> None:
    from jobq.exceptions import DuplicateWorkerName

    connection.hset(keys.worker("taken"), mapping={"instance": "other", "heartbeat": 1})
    connection.expire(keys.worker("taken"), 60)
    for cls in (Worker, SimpleWorker):
        with pytest.raises(DuplicateWorkerName, match="'taken' is already running"):
            cls([queue], connection, name="taken").work(burst=True)
    assert connection.hget(keys.worker("taken"), "instance") == b"other"


@pytest.fixture
def small_bulk_limit(connection: redis.Redis) -> Iterator[int]:
    """Redis takes values of at most 1 MiB (its smallest proto-max-bulk-len)."""
    before = connection.config_get("proto-max-bulk-len")["proto-max-bulk-len"]
    connection.config_set("proto-max-bulk-len", 1024 * 1024)
    yield 1024 * 1024
    connection.config_set("proto-max-bulk-len", before)


@pytest.mark.parametrize("worker_class", [Worker, SimpleWorker])
def test_a_result_larger_than_redis_takes_fails_with_its_cause(
    queue: Queue,
    connection: redis.Redis,
    small_bulk_limit: int,
    worker_class: type[Worker] | type[SimpleWorker],
) -> None:
    """Not "worker child died": Redis refused the acknowledgement (invalid bulk
    length) and the executor that sent it died of it."""
    big = queue.enqueue(jobs.big_result, 2 * small_bulk_limit)
    after = queue.enqueue(jobs.add, 1, 2)
    worker_class([queue], connection).work(burst=True)
    assert big.get_status() == JobStatus.FAILED
    assert big.reason == "result too large"
    assert f"over the {small_bulk_limit} bytes Redis accepts" in (big.exc_info or "")
    assert after.result == 3


def test_simple_worker_fails_a_job_that_blocks_sigalrm_on_time(
    processes, queue: Queue, connection: redis.Redis, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """SIGALRM cannot stop it and no supervisor can kill it: the SimpleWorker's upkeep
    fails it with reason timeout once it overran (timeout + grace), while its code
    still runs; what it returns then is dropped. The worker goes on."""
    from tests.conftest import wait_until

    stuck = queue.enqueue(jobs.ignore_alarm_sleep, str(tmp_path / "pid"), 7, job_timeout=1)
    after = queue.enqueue(jobs.add, 1, 2)
    began = time.monotonic()
    worker = processes.worker("--simple", "--burst")
    wait_until(lambda: stuck.get_status() == JobStatus.FAILED, timeout=20)
    assert time.monotonic() - began < 6.5  # before the job returned (7 s)
    assert stuck.reason == "timeout"
    assert after.wait(20) == 3
    assert worker.wait(20) == 0
    assert stuck.get_status() == JobStatus.FAILED  # its late result was not recorded
    assert "overran its 1s timeout and did not stop" in processes.log(worker)


def test_suspend_stops_new_jobs_within_a_second_whatever_the_lease(  # type: ignore[no-untyped-def]
    processes, queue: Queue, redis_url: str
) -> None:
    """With the default 30 s lease (heartbeat every 10 s) a worker still sees a
    suspend within a second, and ``--duration 2`` resumes it by itself."""
    import time

    from click.testing import CliRunner

    from jobq.cli import main
    from tests.conftest import wait_until

    def cli(*args: str) -> None:
        assert CliRunner().invoke(main, ["--url", redis_url, *args]).exit_code == 0

    processes.worker("--concurrency", "2")
    first = queue.enqueue(jobs.noop)
    wait_until(lambda: first.get_status() == JobStatus.FINISHED, timeout=20)
    time.sleep(0.5)  # past the worker's first heartbeat
    cli("suspend")
    time.sleep(1.0)
    # its record says so (admin, jobq info)
    assert [w["state"] for w in Worker.all(queue.connection)] == ["suspended"]
    held = [queue.enqueue(jobs.noop) for _ in range(3)]
    time.sleep(1.5)
    assert [j.get_status() for j in held] == [JobStatus.QUEUED] * 3
    cli("resume")
    wait_until(lambda: all(j.get_status() == JobStatus.FINISHED for j in held), timeout=5)

    cli("suspend", "--duration", "2")
    suspended = time.monotonic()
    time.sleep(1.0)
    short = queue.enqueue(jobs.noop)
    time.sleep(0.6)
    assert short.get_status() == JobStatus.QUEUED  # still suspended at 1.6 s
    wait_until(lambda: short.get_status() == JobStatus.FINISHED, timeout=5)
    assert time.monotonic() - suspended < 6  # resumed once the 2 s were over
