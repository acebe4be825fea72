"""Scripts are called by EVALSHA and reloaded when the server forgot them (NOSCRIPT)."""

from __future__ import annotations

import redis

from jobq import scripts, transitions
from jobq.scripts import execute_pipeline

from .conftest import NOW, Q, state

FIELDS = {"func": "tests.fixtures.jobs.noop", "data": "[[],{}]"}


def test_single_call_after_script_flush(connection: redis.Redis) -> None:
    transitions.enqueue(connection, Q, "a", FIELDS, now=NOW)
    connection.script_flush()
    assert connection.script_exists(scripts.get("enqueue").sha) == [False]
    assert transitions.enqueue(connection, Q, "b", FIELDS, now=NOW) == 1
    assert state(connection)[Q.queued] == ["a", "b"]
    assert connection.script_exists(scripts.get("enqueue").sha) == [True]


def test_pipelined_calls_after_script_flush(connection: redis.Redis) -> None:
    connection.script_flush()
    pipe = connection.pipeline(transaction=False)
    pipe.sadd("jobq:queues", Q.name)
    transitions.enqueue(pipe, Q, "a", FIELDS, now=NOW)
    transitions.enqueue(pipe, Q, "b", FIELDS, now=NOW, due=NOW + 10)
    pipe.llen(Q.queued)
    replies = execute_pipeline(connection, pipe)
    assert replies[1:3] == [1, 2]
    after = state(connection)
    assert after[Q.queued] == ["a"]
    assert after[Q.scheduled] == {"b": NOW + 10}
    # each script call ran exactly once: no job stored twice
    assert connection.llen(Q.queued) == 1


def test_pipeline_mixing_known_and_unknown_scripts(connection: redis.Redis) -> None:
    transitions.enqueue(connection, Q, "a", FIELDS, now=NOW)  # loads enqueue
    connection.script_flush()
    transitions.dequeue(connection, Q, "w1", 1, 1000)  # loads dequeue only
    pipe = connection.pipeline(transaction=False)
    transitions.finish(pipe, Q, "w1", [("a", b"1")])
    transitions.enqueue(pipe, Q, "b", FIELDS, now=NOW)
    assert execute_pipeline(connection, pipe) == [[1], 1]
    after = state(connection)
    assert set(after[Q.finished]) == {"a"}
    assert after[Q.queued] == ["b"]
