"""record_history-5.lua: add a worker's summed counts to the queue's history."""

from __future__ import annotations

import pytest
import redis

from jobq import defaults, transitions

from .conftest import NOW, Q, state

KEYS = Q.history_keys(NOW)


def test_counts_go_to_both_buckets_and_the_totals_per_queue_and_function(
    connection: redis.Redis,
) -> None:
    connection.rpush(Q.queued, "a", "b")
    per = {"m.f": {"finished": 2, "r3": 2, "w1": 1, "w2": 1}, "m.g": {"failed": 1, "r3": 1}}
    assert transitions.record_history(connection, Q, NOW, per) == 1
    h10, h60, total, funcs = KEYS
    for key in (h10, h60, total):
        fields = connection.hgetall(key)
        assert fields[b"finished"] == fields[b"finished@m.f"] == b"2"
        assert fields[b"r3"] == b"3" and fields[b"r3@m.g"] == b"1"
        assert fields[b"failed@m.g"] == b"1" and fields[b"w2@m.f"] == b"1"
    assert connection.hget(h10, "depth") == b"2" and connection.hget(h60, "depth") == b"2"
    assert b"depth" not in connection.hgetall(total)
    assert 3600 < connection.ttl(h10) <= 3600 + 130
    assert 86400 < connection.ttl(h60) <= 86400 + 190
    assert connection.ttl(total) == -1
    assert connection.smembers(funcs) == {b"m.f", b"m.g"}


def test_functions_past_the_cap_count_as_other(connection: redis.Redis) -> None:
    names = [f"m.f{i}" for i in range(defaults.HISTORY_MAX_FUNCTIONS)]
    connection.sadd(KEYS[3], *names)
    transitions.record_history(
        connection, Q, NOW, {"m.new": {"finished": 1}, "m.f0": {"failed": 1}}
    )
    fields = connection.hgetall(KEYS[0])
    assert fields[b"finished@other"] == b"1" and fields[b"failed@m.f0"] == b"1"
    assert b"finished@m.new" not in fields


@pytest.mark.parametrize(
    "per",
    [
        {"m.f": {"bogus": 1}},
        {"m.f": {"r128": 1}},
        {"m.f": {"r-1": 1}},
        {"m.f": {"finished": 0}},
        {"m.f": {"finished": "x"}},
        {"m.f": {"finished": 1.5}},
        {"m.f": {}},
        {},
    ],
)
def test_a_malformed_argument_writes_nothing(connection: redis.Redis, per: object) -> None:
    before = state(connection)
    assert transitions.record_history(connection, Q, NOW, per) == -1  # type: ignore[arg-type]
    assert state(connection) == before


def test_a_key_of_another_kind_writes_nothing_and_raises_nothing(connection: redis.Redis) -> None:
    connection.set(KEYS[2], "garbage")
    before = state(connection)
    assert transitions.record_history(connection, Q, NOW, {"m.f": {"finished": 1}}) == -3
    assert state(connection) == before
