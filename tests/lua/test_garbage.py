"""Garbage in Redis against every transition: a key of the wrong kind, ids that are
no job ids, numbers no client wrote. Each step validates before its first write, so
it either stops with nothing written or handles the one bad job (skipped, left
alone, failed) and goes on with the rest: no job lost, none half-moved."""

from __future__ import annotations

import re

import pytest
import redis

from jobq import transitions
from jobq.keys import QueueKeys
from jobq.transitions import NewJob

from .conftest import NOW, Q, put_job, state


def _garbage(conn: redis.Redis, key: str | bytes) -> None:
    """Not a hash where a job's hash should be."""
    conn.set(key, "garbage")


def _held(conn: redis.Redis, job_id: str, **fields: object) -> dict[str, str]:
    job = put_job(conn, job_id, "started", **{"worker": "w1", "attempts": 1, **fields})
    conn.zadd(Q.started, {job_id: NOW + 1000})
    return job


def _raw_job_key(raw_id: bytes) -> bytes:
    return Q.prefix.encode() + b"job:" + raw_id


# -- dequeue ---------------------------------------------------------------------------


def test_dequeue_a_non_hash_job_key_loses_no_job_of_the_batch(connection: redis.Redis) -> None:
    """The finding of issue 16: WRONGTYPE after the LPOP lost every job of the batch."""
    for i in ("a", "b", "c"):
        put_job(connection, i, "queued")
    _garbage(connection, Q.job("x"))
    connection.rpush(Q.queued, "a", "x", "b", "c")
    skipped: list[transitions.Skipped] = []
    taken = transitions.dequeue(connection, Q, "w1", 10, 1000, skipped)
    assert [i for i, _ in taken] == ["a", "b", "c"]
    assert skipped == [(b"x", "its key holds no job hash (string)")]
    after = state(connection)
    assert after[Q.started] == {"a": NOW + 1000, "b": NOW + 1000, "c": NOW + 1000}
    assert Q.queued not in after
    assert after[Q.job("x")] == "garbage"
    assert all(after[Q.job(i)]["status"] == "started" for i in ("a", "b", "c"))


@pytest.mark.parametrize(
    "raw_id", [b"with space", b"new\nline", b"\xff\xfe", b"caf\xc3", b"{tag}", b"", b"x" * 1025]
)
def test_dequeue_skips_ids_that_are_no_job_ids(connection: redis.Redis, raw_id: bytes) -> None:
    """Ids jobq never makes (white space, braces, not UTF-8, empty, too long), even with a
    job hash behind them, are skipped: they cannot travel to the worker's processes."""
    put_job(connection, "a", "queued")
    connection.hset(_raw_job_key(raw_id), mapping={"func": "os.getcwd", "status": "queued"})
    connection.rpush(Q.queued, raw_id, "a")
    skipped: list[transitions.Skipped] = []
    taken = transitions.dequeue(connection, Q, "w1", 10, 1000, skipped)
    assert [i for i, _ in taken] == ["a"]
    assert [s[0] for s in skipped] == [raw_id]
    assert "not a job id" in skipped[0][1]
    assert connection.hget(_raw_job_key(raw_id), "status") == b"queued"  # left as it was
    assert connection.zrange(Q.started, 0, -1) == [b"a"]


def test_dequeue_takes_a_unicode_id(connection: redis.Redis) -> None:
    put_job(connection, "caf\u00e9-\u4e2d", "queued")
    connection.rpush(Q.queued, "caf\u00e9-\u4e2d")
    assert [i for i, _ in transitions.dequeue(connection, Q, "w1", 10, 1000)] == [
        "caf\u00e9-\u4e2d"
    ]


@pytest.mark.parametrize("key", [Q.queued, Q.started, Q.wake])
def test_dequeue_a_queue_key_of_the_wrong_kind_writes_nothing(
    connection: redis.Redis, key: str
) -> None:
    put_job(connection, "a", "queued")
    if key != Q.queued:
        connection.rpush(Q.queued, "a")
    connection.hset(key, "not", "a list or zset")
    before = state(connection)
    with pytest.raises(
        redis.ResponseError, match=f"WRONGTYPE jobq: key {re.escape(key)}.*nothing was written"
    ):
        transitions.dequeue(connection, Q, "w1", 10, 1000)
    assert state(connection) == before


@pytest.mark.parametrize("raw", ["1e308", "nan", "inf", "-3", "2.5", "x", "99999999999"])
def test_dequeue_garbage_attempts_count_from_zero(connection: redis.Redis, raw: str) -> None:
    put_job(connection, "a", "queued", attempts=raw)
    connection.rpush(Q.queued, "a")
    ((_, fields),) = transitions.dequeue(connection, Q, "w1", 1, 1000)
    assert fields[b"attempts"] == b"1"


# -- acknowledgements -------------------------------------------------------------------


def test_finish_skips_a_garbage_job_and_records_the_others(connection: redis.Redis) -> None:
    _held(connection, "a")
    _held(connection, "b")
    _garbage(connection, Q.job("x"))
    connection.zadd(Q.started, {"x": NOW + 1000})
    codes = transitions.finish(connection, Q, "w1", [("a", b"1"), ("x", b"2"), ("b", b"3")])
    assert codes == [1, -2, 1]
    after = state(connection)
    assert set(after[Q.finished]) == {"a", "b"}
    assert after[Q.started] == {"x": NOW + 1000}  # left for the reaper to drop
    assert after[Q.job("x")] == "garbage"


def test_fail_and_release_skip_a_garbage_job(connection: redis.Redis) -> None:
    _held(connection, "a")
    _held(connection, "b")
    _garbage(connection, Q.job("x"))
    connection.zadd(Q.started, {"x": NOW + 1000})
    codes = transitions.fail(connection, Q, "w1", [("a", "tb", "E"), ("x", "tb", "E")])
    assert codes == [1, -2]
    assert transitions.release(connection, Q, "w1", ["x", "b"]) == 1
    after = state(connection)
    assert set(after[Q.failed]) == {"a"}
    assert after[Q.queued] == ["b"]
    assert after[Q.started] == {"x": NOW + 1000}
    assert after[Q.job("x")] == "garbage"


def test_finish_replaces_a_garbage_notify_key_and_dependents_set(connection: redis.Redis) -> None:
    _held(connection, "a", waiters=1)
    connection.hset(Q.notify("a"), "not", "a list")
    connection.set(Q.dependents("a"), "not a set")
    assert transitions.finish(connection, Q, "w1", [("a", b"1")]) == [1]
    after = state(connection)
    assert after[Q.notify("a")] == ["1"]
    assert Q.dependents("a") not in after
    assert after[Q.job("a")]["status"] == "finished"


def test_settling_dependents_leaves_a_garbage_dependent_alone(connection: redis.Redis) -> None:
    _held(connection, "a")
    put_job(connection, "d", "deferred", pending_deps=1)
    connection.zadd(Q.deferred, {"d": 1})
    _garbage(connection, Q.job("g"))
    connection.sadd(Q.dependents("a"), "g", "d")
    assert transitions.finish(connection, Q, "w1", [("a", b"1")]) == [1]
    after = state(connection)
    assert after[Q.queued] == ["d"]
    assert after[Q.job("g")] == "garbage"


@pytest.mark.parametrize("key_of", [lambda q: q.finished, lambda q: q.wake, lambda q: q.deferred])
def test_finish_with_a_registry_of_the_wrong_kind_writes_nothing(
    connection: redis.Redis, key_of: object
) -> None:
    key = key_of(Q)  # type: ignore[operator]
    _held(connection, "a")
    connection.set(key, "garbage")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE jobq"):
        transitions.finish(connection, Q, "w1", [("a", b"1")])
    assert state(connection) == before


# -- garbage numbers: never retry forever -------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["1e308", "inf", "nan", "-1", "2.5", "1e6", "99999999999999999999", "0x10", "x"]
)
def test_garbage_max_attempts_fails_at_once(connection: redis.Redis, raw: str) -> None:
    """The finding of issue 16: max_attempts of 1e308 retried forever."""
    _held(connection, "a", max_attempts=raw)
    assert transitions.fail(connection, Q, "w1", [("a", "tb", "E")]) == [1]
    assert set(state(connection)[Q.failed]) == {"a"}


def test_a_sane_max_attempts_still_retries(connection: redis.Redis) -> None:
    _held(connection, "a", max_attempts="3")
    assert transitions.fail(connection, Q, "w1", [("a", "tb", "E")]) == [2]


@pytest.mark.parametrize("raw", ["[1e300]", "[-5]", '["nan"]', "[1e400]"])
def test_garbage_retry_interval_retries_at_once(connection: redis.Redis, raw: str) -> None:
    """A retry parked for ever in `scheduled` (1e300 s) would be a lost job."""
    _held(connection, "a", max_attempts="3", retry_intervals=raw)
    assert transitions.fail(connection, Q, "w1", [("a", "tb", "E")]) == [2]
    after = state(connection)
    assert after[Q.queued] == ["a"]
    assert Q.scheduled not in after


# -- reaper and promotion -------------------------------------------------------------------


def test_reap_drops_a_garbage_id_and_requeues_the_others(connection: redis.Redis) -> None:
    _held(connection, "a")
    _held(connection, "b")
    _garbage(connection, Q.job("x"))
    connection.zadd(Q.started, {"a": NOW - 3, "x": NOW - 2, "b": NOW - 1})
    assert transitions.reap(connection, Q, now=NOW) == (["a", "b"], [])
    after = state(connection)
    assert after[Q.queued] == ["b", "a"]
    assert Q.started not in after
    assert after[Q.job("x")] == "garbage"


def test_promote_drops_a_garbage_id_and_queues_the_others(connection: redis.Redis) -> None:
    for i in ("a", "b"):
        put_job(connection, i, "scheduled")
    _garbage(connection, Q.job("x"))
    connection.zadd(Q.scheduled, {"a": NOW - 3, "x": NOW - 2, "b": NOW - 1})
    assert transitions.promote(connection, Q, now=NOW) == 2
    after = state(connection)
    assert after[Q.queued] == ["a", "b"]
    assert Q.scheduled not in after


# -- enqueue, cancel, delete, requeue --------------------------------------------------------


def test_enqueue_with_a_garbage_dependents_set_writes_nothing(connection: redis.Redis) -> None:
    put_job(connection, "dep", "queued")
    connection.set(Q.dependents("dep"), "not a set")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match=r"WRONGTYPE jobq: key .*dependents:dep"):
        transitions.enqueue(connection, Q, "a", {"func": "f"}, now=NOW, depends_on=["dep"])
    assert state(connection) == before


@pytest.mark.parametrize("at_front", [False, True])
@pytest.mark.parametrize("key_of", [lambda q: q.queued, lambda q: q.wake, lambda q: q.job("a")])
def test_enqueue_of_a_new_id_meeting_a_key_of_the_wrong_kind_writes_nothing(
    connection: redis.Redis, key_of: object, at_front: bool
) -> None:
    """The common path checks each key with its own first command, not a TYPE call."""
    key = key_of(Q)  # type: ignore[operator]
    connection.set(key, "garbage")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match=f"WRONGTYPE jobq: key {re.escape(key)}"):
        transitions.enqueue(
            connection, Q, "a", {"func": "f"}, now=NOW, new_id=True, at_front=at_front
        )
    assert state(connection) == before


def test_enqueue_many_writes_a_new_id_sent_twice_in_one_batch_once(
    connection: redis.Redis,
) -> None:
    jobs = [NewJob("a", {"func": "f"}, new_id=True), NewJob("a", {"func": "g"}, new_id=True)]
    assert transitions.enqueue_many(connection, Q, jobs, now=NOW) == [1, 1]
    after = state(connection)
    assert after[Q.queued] == ["a"]


def test_enqueue_many_refuses_only_the_job_whose_key_is_garbage(connection: redis.Redis) -> None:
    _garbage(connection, Q.job("x"))
    jobs = [
        NewJob("a", {"func": "f"}),
        NewJob("x", {"func": "f"}, new_id=True),
        NewJob("b", {"func": "f"}),
    ]
    assert transitions.enqueue_many(connection, Q, jobs, now=NOW) == [1, -1, 1]
    after = state(connection)
    assert after[Q.queued] == ["a", "b"]
    assert after[Q.job("x")] == "garbage"


@pytest.mark.parametrize("call", ["cancel", "delete", "requeue", "enqueue_now"])
def test_a_garbage_job_key_is_no_such_job(connection: redis.Redis, call: str) -> None:
    from jobq.exceptions import NoSuchJobError

    _garbage(connection, Q.job("x"))
    with pytest.raises(NoSuchJobError):
        getattr(transitions, call)(connection, Q, "x")
    assert state(connection) == {Q.job("x"): "garbage"}


def test_cancel_with_a_garbage_dependent_cancels_the_job(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    _garbage(connection, Q.job("g"))
    connection.sadd(Q.dependents("a"), "g")
    transitions.cancel(connection, Q, "a")
    after = state(connection)
    assert after[Q.job("a")]["status"] == "canceled"
    assert after[Q.job("g")] == "garbage"


def test_unschedule_with_a_garbage_runs_key_writes_nothing(connection: redis.Redis) -> None:
    transitions.store_schedule(connection, Q, "s", '{"rev": "1", "next_run": 5}', 5, {"func": "f"})
    connection.set(Q.prefix + "schedule-runs:s", "garbage")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE jobq"):
        transitions.remove_schedule(connection, Q, "s")
    assert state(connection) == before


def test_other_queues_are_untouched(connection: redis.Redis) -> None:
    """The checks read only the queue's own keys (one hash slot)."""
    other = QueueKeys("other")
    connection.set(other.started, "garbage")
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    assert [i for i, _ in transitions.dequeue(connection, Q, "w1", 1, 1000)] == ["a"]


@pytest.mark.parametrize("many", [False, True])
def test_reusing_an_ended_id_with_a_garbage_registry_writes_nothing(
    connection: redis.Redis, many: bool
) -> None:
    """Reusing the id of an ended job drops it from the ended registries: checked
    first, for the whole batch."""
    put_job(connection, "old", "finished")
    connection.set(Q.failed, "garbage")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE jobq: key jobq:"):
        if many:
            jobs = [NewJob("a", {"func": "f"}), NewJob("old", {"func": "f"})]
            transitions.enqueue_many(connection, Q, jobs, now=NOW)
        else:
            transitions.enqueue(connection, Q, "old", {"func": "f"}, now=NOW)
    assert state(connection) == before
