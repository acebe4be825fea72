"""Contract tests of flow control inside the Lua steps (includes/flow.lua): exact
keys after a call, and garbage read before the first write."""

from __future__ import annotations

import re

import pytest
import redis

from jobq import transitions

from .conftest import NOW, Q, put_job, state

FIELDS = {"func": "tests.fixtures.jobs.noop", "data": "[[],{}]", "flow": "1"}


def _ids(taken: transitions.Taken) -> list[str]:
    return [i for i, _ in taken]


def test_enqueue_with_a_priority_waits_in_the_priority_zset(connection: redis.Redis) -> None:
    code = transitions.enqueue(connection, Q, "p", {**FIELDS, "pri": "3"}, now=NOW, flow=True)
    assert code == 1
    after = state(connection)
    assert after[Q.prio] == {"p": -3 * 2**40 + 1}
    assert after[Q.flow] == {"seq": "1", "prio": "1"}
    assert Q.queued not in after
    assert after[Q.wake] == ["1"]


def test_enqueue_answers_the_id_of_the_live_holder_of_a_unique_key(
    connection: redis.Redis,
) -> None:
    first = {**FIELDS, "ukey": "u"}
    assert transitions.enqueue(connection, Q, "a", first, now=NOW, flow=True) == 1
    before = state(connection)
    assert transitions.enqueue(connection, Q, "b", first, now=NOW, flow=True) == "a"
    assert state(connection) == before  # nothing written
    connection.hset(Q.job("a"), "status", "finished")  # ended without release: stale
    assert transitions.enqueue(connection, Q, "b", first, now=NOW, flow=True) == 1
    assert connection.get(Q.unique("u")) == b"b"


def test_finish_frees_the_key_slot_and_puts_one_parked_job_back_at_the_front(
    connection: redis.Redis,
) -> None:
    for i in "abc":
        fields = {**FIELDS, "ckey": "k", "climit": "1"}
        transitions.enqueue(connection, Q, i, fields, now=NOW, flow=True)
    assert _ids(transitions.dequeue(connection, Q, "w", 10, 1000)) == ["a"]
    assert connection.lrange(Q.held("k"), 0, -1) == [b"b", b"c"]
    assert transitions.finish(connection, Q, "w", [("a", b"null")]) == [1]
    after = state(connection)
    assert after[Q.queued] == ["b"]
    assert after[Q.held("k")] == ["c"]
    assert Q.slots("k") not in after


def test_garbage_at_the_flow_hash_stops_dequeue_before_any_write(
    connection: redis.Redis,
) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    connection.set(Q.flow, "garbage")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match=f"WRONGTYPE jobq: key {re.escape(Q.flow)}"):
        transitions.dequeue(connection, Q, "w", 10, 1000)
    assert state(connection) == before


def test_garbage_at_the_priority_key_stops_dequeue_before_any_write(
    connection: redis.Redis,
) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    connection.hset(Q.flow, "prio", "1")
    connection.rpush(Q.prio, "x")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match=f"WRONGTYPE jobq: key {re.escape(Q.prio)}"):
        transitions.dequeue(connection, Q, "w", 10, 1000)
    assert state(connection) == before


@pytest.mark.parametrize(
    "garbage",
    [
        {"rate": "nan", "period": "1000", "tat": "1e400"},
        {"rate": "0x10", "period": "-5", "burst": "2.5", "conc": "inf"},
        {"rate": "20", "period": "1000", "tat": "garbage", "burst": "-1"},
    ],
)
def test_garbage_limits_read_as_no_limit_or_defaults(
    connection: redis.Redis, garbage: dict[str, str]
) -> None:
    for i in "ab":
        put_job(connection, i, "queued")
        connection.rpush(Q.queued, i)
    connection.hset(Q.flow, mapping=garbage)
    taken = transitions.dequeue(connection, Q, "w", 10, 1000)
    assert _ids(taken) in (["a", "b"], ["a"])  # a valid rate of 20/s lets one through
    assert all(connection.hget(Q.job(i), "status") == b"started" for i in _ids(taken))


def test_garbage_slot_key_and_limit_are_replaced_not_fatal(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued", ckey="k", climit="many")
    connection.rpush(Q.queued, "a")
    connection.hset(Q.flow, "keyed", "1")
    connection.set(Q.slots("k"), "garbage")
    assert _ids(transitions.dequeue(connection, Q, "w", 10, 1000)) == ["a"]
    assert connection.zrange(Q.slots("k"), 0, -1, withscores=True) == [(b"a", NOW + 1000)]


def test_a_dead_holders_slot_is_dropped_by_the_next_taker(connection: redis.Redis) -> None:
    put_job(connection, "b", "queued", ckey="k", climit="1")
    connection.rpush(Q.queued, "b")
    connection.hset(Q.flow, "keyed", "1")
    connection.zadd(Q.slots("k"), {"dead": NOW - 1})
    connection.zadd(Q.started, {"dead": NOW - 1})  # its lease expired too
    assert _ids(transitions.dequeue(connection, Q, "w", 10, 1000)) == ["b"]
    assert connection.zrange(Q.slots("k"), 0, -1) == [b"b"]


def test_a_renewed_holder_keeps_its_slot_past_the_deadline_it_took_it_with(
    connection: redis.Redis,
) -> None:
    put_job(connection, "b", "queued", ckey="k", climit="1")
    connection.rpush(Q.queued, "b")
    connection.hset(Q.flow, "keyed", "1")
    connection.zadd(Q.slots("k"), {"alive": NOW - 1})
    connection.zadd(Q.started, {"alive": NOW + 5000})  # its worker renews the lease
    assert _ids(transitions.dequeue(connection, Q, "w", 10, 1000)) == []
    assert connection.lrange(Q.held("k"), 0, -1) == [b"b"]


def test_rate_held_dequeue_ends_with_the_wait_and_leaves_no_wake_token(
    connection: redis.Redis,
) -> None:
    for i in "abc":
        put_job(connection, i, "queued")
        connection.rpush(Q.queued, i)
    connection.hset(Q.flow, mapping={"rate": "10", "period": "1000", "burst": "2"})
    taken = transitions.dequeue(connection, Q, "w", 10, 1000)
    assert _ids(taken) == ["a", "b"]
    assert taken.held_ms == 100  # burst 2 used: the next token in 1/10 s
    assert connection.hget(Q.flow, "tat") == str((NOW + 200) * 1000).encode()
    assert connection.llen(Q.wake) == 0


def test_a_full_batch_leaves_a_wake_token_for_jobs_left_waiting_by_priority(
    connection: redis.Redis,
) -> None:
    for i in "abc":
        transitions.enqueue(connection, Q, i, {**FIELDS, "pri": "1"}, now=NOW, flow=True)
    connection.delete(Q.wake)
    assert _ids(transitions.dequeue(connection, Q, "w", 2, 1000)) == ["a", "b"]
    assert connection.lrange(Q.wake, 0, -1) == [b"1"]
