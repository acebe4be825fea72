"""dequeue-3.lua: take up to N ready jobs, each with a lease in `started`."""

from __future__ import annotations

import threading
import time

import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state


def test_takes_n_jobs_in_order_with_leases(connection: redis.Redis) -> None:
    jobs = {i: put_job(connection, i, "queued") for i in ("a", "b", "c")}
    connection.rpush(Q.queued, "a", "b", "c")
    taken = transitions.dequeue(connection, Q, "w1", 2, 5000)
    assert [i for i, _ in taken] == ["a", "b"]
    fields = dict(taken[0][1])
    assert fields[b"status"] == b"started"
    assert fields[b"attempts"] == b"1"
    assert fields[b"started"] == str(NOW).encode()
    assert fields[b"func"] == b"tests.fixtures.jobs.noop"
    after = state(connection)
    assert after[Q.queued] == ["c"]
    assert after[Q.started] == {"a": NOW + 5000, "b": NOW + 5000}
    for i in ("a", "b"):
        assert after[Q.job(i)] == {
            **jobs[i], "status": "started", "started": str(NOW), "worker": "w1", "attempts": "1",
        }  # fmt: skip
    assert after[Q.job("c")] == jobs["c"]
    # work is left: a wake token stays for other idle workers
    assert after[Q.wake] == ["1"]


def test_attempts_count_up(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued", attempts=2)
    connection.rpush(Q.queued, "a")
    ((_, fields),) = transitions.dequeue(connection, Q, "w1", 1, 1000)
    assert fields[b"attempts"] == b"3"
    assert connection.hget(Q.job("a"), "attempts") == b"3"


def test_no_wake_token_when_the_queue_is_drained(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    transitions.dequeue(connection, Q, "w1", 10, 1000)
    assert Q.wake not in state(connection)


def test_empty_queue_gives_nothing(connection: redis.Redis) -> None:
    assert transitions.dequeue(connection, Q, "w1", 5, 1000) == []
    assert state(connection) == {}


def test_ids_without_a_job_hash_are_dropped(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "ghost", "a", "not a job \xff")
    taken = transitions.dequeue(connection, Q, "w1", 10, 1000)
    assert [i for i, _ in taken] == ["a"]
    after = state(connection)
    assert after[Q.started] == {"a": NOW + 1000}
    assert Q.queued not in after


def test_a_job_with_a_ttl_no_longer_expires_once_taken(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.pexpire(Q.job("a"), 60_000)
    connection.rpush(Q.queued, "a")
    transitions.dequeue(connection, Q, "w1", 1, 1000)
    assert connection.pttl(Q.job("a")) == -1


def test_dropped_ids_are_replaced_by_the_next_ones(connection: redis.Redis) -> None:
    """A batch whose head is garbage still takes real jobs (a burst worker must not
    mistake it for an empty queue)."""
    for i in ("a", "b", "c"):
        put_job(connection, i, "queued")
    connection.rpush(Q.queued, "ghost1", "ghost2", "a", "ghost3", "b", "c")
    taken = transitions.dequeue(connection, Q, "w1", 2, 1000)
    assert [i for i, _ in taken] == ["a", "b"]
    assert state(connection)[Q.queued] == ["c"]


def test_garbage_attempts_are_reset_not_a_lua_error(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued", attempts="lots")
    put_job(connection, "b", "queued")
    connection.rpush(Q.queued, "a", "b")
    taken = transitions.dequeue(connection, Q, "w1", 2, 1000)
    assert [(i, f[b"attempts"]) for i, f in taken] == [("a", b"1"), ("b", b"1")]
    after = state(connection)
    assert after[Q.started] == {"a": NOW + 1000, "b": NOW + 1000}
    assert after[Q.job("a")]["attempts"] == "1"


def test_behind_a_blocking_pop_the_lease_starts_when_the_pop_returns(
    connection: redis.Redis,
) -> None:
    """wait_and_dequeue queues the dequeue behind a BLPOP: its clock is the server's,
    read when the pop returns, not when the caller built the call."""
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")

    def wake_later() -> None:
        time.sleep(0.3)
        connection.rpush(Q.wake, "1")

    thread = threading.Thread(target=wake_later)
    thread.start()
    sent = time.time()
    other = redis.Redis(
        connection_pool=redis.ConnectionPool(**connection.connection_pool.connection_kwargs)
    )
    taken = transitions.wait_and_dequeue(other, [Q.wake], Q, "w1", 1, 5000, timeout=5)
    thread.join()
    other.close()
    assert [i for i, _ in taken] == ["a"]
    started = int(dict(taken[0][1])[b"started"])
    assert started >= int((sent + 0.25) * 1000)  # after the wake, not when sent
    assert connection.zscore(Q.started, "a") == started + 5000
