"""Write access to Redis is not code execution once a secret is set: every job's
envelope (id, queue, function, arguments, options) carries a MAC, and a worker with
the secret refuses, before importing or loading anything, a job whose MAC is missing
or does not match; the worker goes on. Every producer of jobq signs."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import redis

from jobq import Callback, Job, Queue, Retry, SimpleWorker, signing
from jobq.exceptions import SignatureError
from jobq.queue import Dependency
from jobq.scheduler import Scheduler, Ticker
from jobq.status import JobStatus
from tests.conftest import Processes, _env
from tests.fixtures import jobs

SECRET = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _default_url_is_the_test_server(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBQ_REDIS_URL", redis_url)
    monkeypatch.delenv(signing.SECRET_ENV, raising=False)
    monkeypatch.delenv(signing.FALLBACKS_ENV, raising=False)
    monkeypatch.delenv("JOBQ_PICKLE_KEY", raising=False)


def _forge(connection: redis.Redis, queue: str, job_id: str, fields: dict[str, str]) -> None:
    """What someone with write access to Redis (and not the secret) can do."""
    connection.hset(f"jobq:{{{queue}}}:job:{job_id}", mapping={"status": "queued", **fields})
    connection.rpush(f"jobq:{{{queue}}}:queued", job_id)
    connection.sadd("jobq:queues", queue)


def _work(connection: redis.Redis, queue: str = "default", **options: object) -> None:
    SimpleWorker([queue], connection, **options).work(burst=True)  # type: ignore[arg-type]


def _copy(connection: redis.Redis, src: str, dst: str) -> None:
    connection.hset(dst, mapping=connection.hgetall(src))  # type: ignore[arg-type]


def test_write_access_to_redis_is_not_code_execution_with_a_secret(
    processes: Processes, connection: redis.Redis, tmp_path: Path
) -> None:
    """The issue's forged job, to a default ``jobq worker`` given JOBQ_SECRET_KEY:
    refused as unsigned, never run; the worker goes on to the next job."""
    pwned = tmp_path / "pwned"
    _forge(connection, "ev", "x", {"func": "os.system", "data": f'[["touch {pwned}"],{{}}]'})
    good = Queue("ev", connection, secret=SECRET).enqueue(jobs.add, 2, 3)
    env = {**_env(), signing.SECRET_ENV: SECRET}
    proc = processes.spawn(
        [sys.executable, "-m", "jobq", "worker", "ev", "--burst", "--url", processes.url], env
    )
    assert proc.wait(timeout=30) == 0, processes.log(proc)
    assert not pwned.exists()
    forged = Job.fetch("x", connection, queue="ev")
    assert forged.get_status() == JobStatus.FAILED
    assert forged.reason == "unsigned job"
    assert good.result == 5
    assert "refused: unsigned job" in processes.log(proc)


def test_without_a_secret_the_worker_says_so_at_start(processes: Processes) -> None:
    proc = processes.worker("--burst")
    assert proc.wait(timeout=30) == 0
    lines = [ln for ln in processes.log(proc).splitlines() if "no secret set" in ln]
    assert len(lines) == 1
    assert "JOBQ_SECRET_KEY" in lines[0] and "any importable function" in lines[0]


def test_with_a_secret_the_worker_does_not_warn(processes: Processes) -> None:
    env = {**_env(), signing.SECRET_ENV: SECRET}
    argv = [sys.executable, "-m", "jobq", "worker", "--burst", "--url", processes.url]
    proc = processes.spawn(argv, env)
    assert proc.wait(timeout=30) == 0
    assert "no secret set" not in processes.log(proc)


def test_a_forged_job_is_refused_and_its_callbacks_never_run(
    connection: redis.Redis, tmp_path: Path
) -> None:
    mark = tmp_path / "mark"
    _forge(
        connection,
        "default",
        "forged",
        {
            "func": "tests.fixtures.jobs.mark",
            "data": f'[["{mark}"],{{}}]',
            "on_failure": "tests.fixtures.jobs.mark",
            "mac": "v1:" + "A" * 43 + "=",
        },
    )
    _work(connection, secret=SECRET)
    job = Job.fetch("forged", connection)
    assert job.get_status() == JobStatus.FAILED
    assert job.reason == "signature mismatch"
    assert "SignatureError" in (job.exc_info or "")
    assert not mark.exists()


@pytest.mark.parametrize(
    "change",
    ["job id", "queue", "function", "arguments", "timeout", "retries", "callback", "serializer"],
)
def test_a_valid_signature_cannot_be_moved_onto_another_job_queue_or_function(
    connection: redis.Redis, change: str
) -> None:
    q = Queue("default", connection, secret=SECRET)
    job = q.enqueue(jobs.add, 2, 3)
    src = job.key
    edits: dict[str, str] = {
        "function": "tests.fixtures.jobs.echo",
        "arguments": "[[40,2],{}]",
        "timeout": "1",
        "retries": "1000",
        "callback": "tests.fixtures.jobs.noop",
        "serializer": "pickle",
    }
    field = {
        "function": "func",
        "arguments": "data",
        "timeout": "timeout",
        "retries": "max_attempts",
        "callback": "on_success",
        "serializer": "ser",
    }
    queue_name, job_id = "default", job.id
    connection.delete(q.keys.queued)
    if change == "job id":
        job_id = "other"
        _copy(connection, src, q.keys.job(job_id))
    elif change == "queue":
        queue_name = "elsewhere"
        _copy(connection, src, Queue(queue_name, connection).keys.job(job_id))
    else:
        connection.hset(src, field[change], edits[change])
    connection.rpush(Queue(queue_name, connection).keys.queued, job_id)
    _work(connection, queue_name, secret=SECRET)
    moved = Job.fetch(job_id, connection, queue=queue_name)
    assert moved.get_status() == JobStatus.FAILED
    assert moved.reason == "signature mismatch"


def test_fields_the_transitions_change_are_not_signed(connection: redis.Redis) -> None:
    """Status, attempts and timestamps change as the job moves: a retried, requeued
    job still verifies."""
    q = Queue("default", connection, secret=SECRET)
    job = q.enqueue(jobs.fail, retry=Retry(max=1))
    _work(connection, secret=SECRET)
    assert job.get_status() == JobStatus.FAILED
    assert job.reason == "ValueError"  # two attempts, each verified
    assert job.attempts == 2
    job.requeue()
    _work(connection, secret=SECRET)
    assert job.get_status() == JobStatus.FAILED
    assert job.reason == "ValueError"


def test_every_producer_of_jobq_signs(connection: redis.Redis, tmp_path: Path) -> None:
    """Queue.enqueue/_at/_in/_many, @job.delay, dependents released in Lua, scheduler
    runs, requeue, retries and callbacks: each job runs on a worker with the secret."""
    import os

    os.environ[signing.SECRET_ENV] = SECRET  # producers made without secret= read it
    try:
        q = Queue("default", connection)
        first = q.enqueue(jobs.add, 1, 2, on_success=Callback(jobs.record_success))
        dependent = q.enqueue(jobs.add, 3, 4, depends_on=Dependency([first]))
        later = q.enqueue_at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1), jobs.add, 5, 6)
        soon = q.enqueue_in(dt.timedelta(0), jobs.add, 1, 1)
        many = q.enqueue_many([Queue.prepare_data(jobs.add, (i, i)) for i in range(3)])
        delayed = jobs.decorated_bare.delay(2, 2)
        retried = q.enqueue(jobs.fail_until, str(tmp_path / "n"), 1, retry=Retry(max=1))
        scheduler = Scheduler(connection=connection)
        scheduler.schedule(dt.datetime.now(dt.UTC), jobs.add, args=[7, 8])
        Ticker(connection).run_once()
        _work(connection)  # reads JOBQ_SECRET_KEY
        run = Job.fetch(q.finished_job_registry.get_job_ids()[0], connection)
        assert run is not None
        for job in (first, dependent, later, soon, *many, delayed, retried):
            assert job.get_status() == JobStatus.FINISHED, (job, job.reason)
        assert delayed.result == 4
        assert retried.attempts == 2
        runs = [Job.fetch(i, connection) for i in q.finished_job_registry.get_job_ids() if "@" in i]
        assert [r.result for r in runs] == [15]
        first.requeue()
        _work(connection)
        assert first.get_status() == JobStatus.FINISHED
        assert all(j.get_status() != JobStatus.FAILED for j in q.finished_job_registry.get_jobs())
    finally:
        del os.environ[signing.SECRET_ENV]


def test_every_field_an_enqueue_writes_is_signed_or_deliberately_not(
    connection: redis.Redis,
) -> None:
    q = Queue("default", connection, secret=SECRET)
    dep = q.enqueue(jobs.noop)
    job = q.enqueue(
        jobs.add, 1, 2, job_timeout=5, result_ttl=7, failure_ttl=9, ttl=60,
        description="d", depends_on=Dependency([dep], allow_failure=True), meta={"m": 1},
        retry=Retry(max=2, interval=[1]), on_success=jobs.noop, on_failure=jobs.noop,
    )  # fmt: skip
    written = {k.decode() for k in connection.hgetall(job.key)}
    lua = {"status", "created", "enqueued", "pending_deps", "due"}
    assert written - lua - {signing.MAC_FIELD} <= set(signing.SIGNED_FIELDS) | set(
        signing.UNSIGNED_FIELDS
    )
    assert {"func", "data", "timeout", "max_attempts", "on_success", "deps"} <= written


def test_a_signed_small_job_keeps_the_compact_hash_encoding(connection: redis.Redis) -> None:
    """The MAC fits under hash-max-listpack-value: signing does not cost a small job
    Redis's compact encoding (memory, speed)."""
    job = Queue("default", connection, secret=SECRET).enqueue(jobs.noop)
    # the compact encoding: listpack since Redis 7, ziplist before
    assert connection.object("encoding", job.key) in (b"listpack", b"ziplist")


def test_secret_fallbacks_verify_jobs_signed_with_an_older_secret(
    connection: redis.Redis,
) -> None:
    old = Queue("default", connection, secret="old").enqueue(jobs.add, 1, 1)
    _work(connection, secret=["new", "old"])
    assert old.get_status() == JobStatus.FINISHED
    stale = Queue("default", connection, secret="older").enqueue(jobs.add, 1, 1)
    _work(connection, secret=["new", "old"])
    assert stale.get_status() == JobStatus.FAILED
    assert stale.reason == "signature mismatch"


def test_secret_fallbacks_from_the_environment(
    connection: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Queue("default", connection, secret="old").enqueue(jobs.add, 1, 1)
    monkeypatch.setenv(signing.SECRET_ENV, "new")
    monkeypatch.setenv(signing.FALLBACKS_ENV, "older, old")
    _work(connection)
    assert old.get_status() == JobStatus.FINISHED


def test_the_key_is_derived_never_the_secret_itself(connection: redis.Redis) -> None:
    import hmac

    job = Queue("default", connection, secret=SECRET).enqueue(jobs.noop)
    stored = connection.hget(job.key, "mac")
    assert stored is not None and stored.startswith(b"v1:")
    raw = {k: v for k, v in connection.hgetall(job.key).items()}
    message = signing._message(b"job", "default", job.id, signing._stored_values(raw))
    import base64

    raw_mac = base64.b64decode(stored[3:])
    assert len(raw_mac) == 32  # HMAC-SHA256, whole
    assert raw_mac == hmac.digest(signing.derive(SECRET), message, "sha256")
    assert raw_mac != hmac.digest(SECRET.encode(), message, "sha256")
    assert signing.derive(SECRET) != SECRET.encode()


def test_a_worker_without_a_secret_runs_signed_jobs(connection: redis.Redis) -> None:
    """Signing is rq-compatible: a producer with a secret, a worker without one."""
    job = Queue("default", connection, secret=SECRET).enqueue(jobs.add, 1, 2)
    _work(connection)
    assert job.result == 3


def test_verify_raises_signature_error_with_the_reason(connection: redis.Redis) -> None:
    keyring = signing.Keyring(SECRET)
    with pytest.raises(SignatureError, match="unsigned job"):
        keyring.verify("default", "x", {b"func": b"os.system"})


# -- signed pickle: bound to the envelope --------------------------------------------------


@pytest.fixture
def pickle_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("JOBQ_PICKLE_KEY", "pickle-key")
    return "pickle-key"


def test_signed_pickle_payload_cannot_move_to_another_job_or_function(
    connection: redis.Redis, pickle_key: str
) -> None:
    """No JOBQ_SECRET_KEY: the pickle key alone signs and checks pickle envelopes."""
    q = Queue("default", connection, serializer="pickle")
    a = q.enqueue(jobs.add, 1, 2)
    b = q.enqueue(jobs.echo, "x")
    connection.delete(q.keys.queued)
    # b's payload (validly signed by the pickle key) on a's job, with a's function
    connection.hset(a.key, "data", connection.hget(b.key, "data"))  # type: ignore[arg-type]
    # a's whole hash (payload and function) under another id
    _copy(connection, b.key, q.keys.job("copy"))
    connection.hset(q.keys.job("copy"), "func", "tests.fixtures.jobs.add")
    connection.rpush(q.keys.queued, a.id, "copy", b.id)
    _work(connection)
    assert a.get_status() == JobStatus.FAILED and a.reason == "signature mismatch"
    copy = Job.fetch("copy", connection)
    assert copy.get_status() == JobStatus.FAILED and copy.reason == "signature mismatch"
    assert b.get_status() == JobStatus.FINISHED


def test_an_unsigned_pickle_job_is_never_unpickled(
    connection: redis.Redis, pickle_key: str, tmp_path: Path
) -> None:
    from jobq.serializers import SignedPickleSerializer

    payload = SignedPickleSerializer(pickle_key).dumps([["x"], {}])  # a payload signature only
    connection.hset(
        "jobq:{default}:job:p",
        mapping={"status": "queued", "func": "tests.fixtures.jobs.echo", "ser": "pickle"},
    )
    connection.hset("jobq:{default}:job:p", "data", payload)
    connection.rpush("jobq:{default}:queued", "p")
    _work(connection)
    job = Job.fetch("p", connection)
    assert job.get_status() == JobStatus.FAILED
    assert job.reason == "unsigned job"


# -- what holds without a secret (README, docs/security.md) ----------------------------------


def test_without_a_secret_a_forged_job_runs_the_function_it_names(
    connection: redis.Redis, tmp_path: Path
) -> None:
    """The documented limit of the unsigned mode: write access to Redis chooses any
    importable function and its JSON arguments (here a harmless one)."""
    mark = tmp_path / "mark"
    _forge(
        connection,
        "default",
        "f",
        {"func": "tests.fixtures.jobs.mark", "data": f'[["{mark}"],{{}}]'},
    )
    _work(connection)
    assert mark.read_text() == "f\n"


def test_without_a_secret_the_allowlist_limits_what_a_forged_job_can_run(
    connection: redis.Redis, tmp_path: Path
) -> None:
    pwned = tmp_path / "pwned"
    _forge(connection, "default", "x", {"func": "os.system", "data": f'[["touch {pwned}"],{{}}]'})
    _work(connection, allowed_modules=["tests.fixtures"])
    assert not pwned.exists()
    assert Job.fetch("x", connection).reason == "function not allowed"


def test_reading_a_json_job_never_runs_code(connection: redis.Redis, tmp_path: Path) -> None:
    """Reading a job (args, meta, result, description: what the admin shows) decodes
    data only: JSON tags make dates, bytes and sets, never objects; a job that claims to
    be pickled is not unpickled without the pickle key."""
    import os
    import pickle

    from jobq.exceptions import ConfigurationError, DeserializationError

    pwned = tmp_path / "pwned"

    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, (f"touch {pwned}",))

    key = "jobq:{default}:job:r"
    connection.hset(
        key,
        mapping={
            "func": "os.system",
            "data": '[[{"__jobq__":"bytes","v":"aGk="},{"__jobq__":"os.system","v":"x"}],{}]',
            "meta": '{"__jobq__":"set","v":[1]}',
        },
    )
    job = Job.fetch("r", connection, queue="default")
    assert job.args == [b"hi", {"__jobq__": "os.system", "v": "x"}]
    assert job.meta == {1}
    connection.hset(key, mapping={"ser": "pickle", "data": pickle.dumps([[Boom()], {}])})
    job = Job.fetch("r", connection, queue="default")
    with pytest.raises((ConfigurationError, DeserializationError)):
        job.args  # noqa: B018
    assert not pwned.exists()


def test_a_job_whose_hash_is_rewritten_while_it_runs_gets_no_forged_callback(
    connection: redis.Redis,
) -> None:
    """The MAC is checked again whenever the running job reads its hash again: a
    callback written into Redis meanwhile is never called."""
    q = Queue("default", connection, secret=SECRET)
    job = q.enqueue(
        jobs.rewrite_own_field_then_refresh, "on_success", "tests.fixtures.jobs.record_success"
    )
    _work(connection, secret=SECRET)
    assert job.get_status() == JobStatus.FINISHED
    assert "callback" not in job.meta
