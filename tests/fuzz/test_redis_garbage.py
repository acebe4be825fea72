"""Garbage inside Redis, not only in what callers pass: values of the wrong kind at
the keys a step touches, ids of any bytes (with runnable job hashes behind them), and
numbers of any shape in a job's fields. A worker skips or fails the job concerned
with a reason and runs the jobs around it; a step that meets a queue key of the wrong
kind stops before its first write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from hypothesis import assume, example, given
from hypothesis import strategies as st

from jobq import Queue, transitions
from jobq.keys import QueueKeys
from jobq.status import JobStatus
from jobq.worker.maintenance import reap_queues
from tests.fixtures import jobs
from tests.helpers import burst
from tests.lua.conftest import state

from .conftest import FUZZ, Tried
from .test_garbage import ALLOWED, around, check_went_on

KINDS = ["string", "list", "set", "zset", "hash"]


def plant(connection: redis.Redis, key: str | bytes, kind: str) -> None:
    """A value of ``kind`` at ``key`` (whatever was there is replaced)."""
    connection.delete(key)
    if kind == "string":
        connection.set(key, "garbage")
    elif kind == "list":
        connection.rpush(key, "garbage")
    elif kind == "set":
        connection.sadd(key, "garbage")
    elif kind == "zset":
        connection.zadd(key, {"garbage": 1})
    else:
        connection.hset(key, "garbage", "1")


# -- per-job keys of the wrong kind, met by a worker ------------------------------------


@FUZZ
@given(
    kind=st.sampled_from(KINDS),
    where=st.sampled_from(["job", "notify", "dependents", "dependent"]),
    waiters=st.booleans(),
)
@example(kind="string", where="job", waiters=False)  # issue 16: the batch was lost
def test_a_job_key_of_the_wrong_kind(
    connection: redis.Redis, tried: Tried, kind: str, where: str, waiters: bool
) -> None:
    tried()
    connection.flushdb()
    queue = Queue(connection=connection)
    before = queue.enqueue(jobs.add, 1, 1)
    victim = queue.enqueue(jobs.add, 2, 2)
    after = queue.enqueue(jobs.add, 3, 3)
    if waiters:
        connection.hset(victim.key, "waiters", 1)
    key = {
        "job": victim.key,
        "notify": queue.keys.notify(victim.id),
        "dependents": queue.keys.dependents(victim.id),
        "dependent": queue.keys.job("a-dependent"),
    }[where]
    if where == "dependent":
        connection.sadd(queue.keys.dependents(victim.id), "a-dependent")
    plant(connection, key, kind)
    burst(queue, connection, allowed_modules=ALLOWED)
    check_went_on(queue, before, after)
    if where != "job" or kind == "hash":
        assert victim.get_status() in (JobStatus.FINISHED, JobStatus.FAILED)


# -- queue keys of the wrong kind: the step stops before its first write -------------------


Q = QueueKeys("fz")
STEPS: dict[str, Callable[[redis.Redis], Any]] = {
    "dequeue": lambda c: transitions.dequeue(c, Q, "w", 5, 1000),
    "finish": lambda c: transitions.finish(c, Q, "w", [("a", b"1")]),
    "fail": lambda c: transitions.fail(c, Q, "w", [("a", "tb", "E")]),
    "release": lambda c: transitions.release(c, Q, "w", ["a"]),
    "reap": lambda c: transitions.reap(c, Q, now=10**13),
    "promote": lambda c: transitions.promote(c, Q, now=10**13),
    "cancel": lambda c: transitions.cancel(c, Q, "a"),
    "delete": lambda c: transitions.delete(c, Q, "a"),
    "requeue": lambda c: transitions.requeue(c, Q, "b"),
    "enqueue": lambda c: transitions.enqueue(c, Q, "n", {"func": "f"}, now=1, depends_on=["a"]),
}
REGISTRIES = [
    "queued",
    "started",
    "scheduled",
    "deferred",
    "finished",
    "failed",
    "canceled",
    "wake",
]


def seed(connection: redis.Redis) -> None:
    """A started job 'a' held by worker 'w' with a waiter and a dependent, an ended
    job 'b', a scheduled job 'c'."""
    connection.hset(Q.job("a"), mapping={"status": "started", "worker": "w", "waiters": 1})
    connection.zadd(Q.started, {"a": 1})
    connection.sadd(Q.dependents("a"), "d")
    connection.hset(Q.job("d"), mapping={"status": "deferred", "pending_deps": 1})
    connection.zadd(Q.deferred, {"d": 1})
    connection.hset(Q.job("b"), mapping={"status": "failed"})
    connection.zadd(Q.failed, {"b": 1})
    connection.hset(Q.job("c"), mapping={"status": "scheduled"})
    connection.zadd(Q.scheduled, {"c": 1})


@FUZZ
@given(
    step=st.sampled_from(sorted(STEPS)),
    registry=st.sampled_from(REGISTRIES),
    kind=st.sampled_from(KINDS),
)
def test_a_queue_key_of_the_wrong_kind_stops_the_step_before_it_writes(
    connection: redis.Redis, tried: Tried, step: str, registry: str, kind: str
) -> None:
    tried()
    connection.flushdb()
    seed(connection)
    key = getattr(Q, registry)
    expected = {"queued": "list", "wake": "list"}.get(registry, "zset")
    assume(kind != expected)
    plant(connection, key, kind)
    before = state(connection)
    try:
        STEPS[step](connection)
    except redis.ResponseError as e:
        assert "WRONGTYPE jobq: key" in str(e) and "nothing was written" in str(e), e
        assert state(connection) == before
    # or the step does not touch that key: then it did its work, whatever it was


# -- ids of any bytes, with job hashes behind them ----------------------------------------


@FUZZ
@given(ids=st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=5, unique=True))
@example(ids=[b"with space", b"new\nline", b"\xff\xfe"])
def test_ids_of_any_bytes_with_job_hashes(
    connection: redis.Redis, tried: Tried, ids: list[bytes]
) -> None:
    tried()
    connection.flushdb()
    queue = Queue(connection=connection)
    before, after = around(queue, connection)
    prefix = queue.keys.prefix.encode()
    for raw in ids:
        connection.hset(prefix + b"job:" + raw, mapping={"func": "tests.fixtures.jobs.noop"})
        connection.rpush(queue.keys.queued, raw)
        connection.zadd(queue.keys.started, {b"dead:" + raw: 1})
        dead = {"status": "started", "func": "tests.fixtures.jobs.noop"}
        connection.hset(prefix + b"job:dead:" + raw, mapping=dead)
    # the reaper requeues the valid ids of a dead worker and drops the others
    reap_queues(connection, [queue.keys], transitions.now_ms(), None)
    burst(queue, connection, allowed_modules=ALLOWED)
    check_went_on(queue, before, after)


# -- numbers of any shape in a job's fields ------------------------------------------------


NUMERIC = [
    "max_attempts", "attempts", "lost", "timeout", "result_ttl", "failure_ttl", "pending_deps",
    "waiters", "retry_intervals", "created", "progress",
]  # fmt: skip
numbers = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e308", "-0", "0x10", "1_0", " 3", "3 ", "1e-300", "9" * 40, "[1e400]"]),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3).map(repr),
)


def _runaway_retry(field: str, raw: str, fail: bool) -> bool:
    """A failing job with a real, large max_attempts retries that often: by design."""
    if not (fail and field == "max_attempts"):
        return False
    try:
        return int(raw.strip()) > 5
    except ValueError:
        return False


@FUZZ
@given(field=st.sampled_from(NUMERIC), raw=numbers, fail=st.booleans())
@example(field="max_attempts", raw="1e308", fail=True)  # issue 16: retried forever
@example(field="retry_intervals", raw="[1e300]", fail=True)
@example(field="timeout", raw="nan", fail=False)
def test_numbers_of_any_shape_in_a_job_hash(
    connection: redis.Redis, tried: Tried, field: str, raw: str, fail: bool
) -> None:
    assume(not _runaway_retry(field, raw, fail))
    tried()
    connection.flushdb()
    queue = Queue(connection=connection)
    before = queue.enqueue(jobs.add, 1, 1)
    bad = queue.enqueue(jobs.fail if fail else jobs.add, 2, 2, retry=None)
    connection.hset(bad.key, field, raw)
    if fail:
        connection.hset(bad.key, "max_attempts", raw if field == "max_attempts" else "2")
    after = queue.enqueue(jobs.add, 3, 3)
    burst(queue, connection, allowed_modules=ALLOWED)
    check_went_on(queue, before, after)
    status = bad.get_status()
    assert bad.id not in queue.started_job_registry
    if status == JobStatus.FAILED:
        assert bad.reason
    # reading the job never raises on a number
    bad.attempts, bad.max_attempts, bad.result_ttl, bad.created_at, bad.progress  # noqa: B018
    assert bad.attempts <= 2 or field == "attempts"
