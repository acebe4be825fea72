"""enqueue-7.lua: store a job and place it (queued, scheduled, deferred or canceled)."""

from __future__ import annotations

import pytest
import redis

from jobq import transitions
from jobq.exceptions import DuplicateJobError

from .conftest import NOW, Q, put_job, state

FIELDS = {"func": "tests.fixtures.jobs.add", "data": "[[1,2],{}]", "result_ttl": "500"}


def test_new_job_is_queued_with_a_wake_token(connection: redis.Redis) -> None:
    code = transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW)
    assert code == 1
    assert state(connection) == {
        Q.queued: ["j1"],
        Q.wake: ["1"],
        Q.job("j1"): {**FIELDS, "status": "queued", "created": str(NOW)},
    }


def test_wake_token_is_not_duplicated(connection: redis.Redis) -> None:
    transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW)
    transitions.enqueue(connection, Q, "j2", FIELDS, now=NOW)
    assert state(connection)[Q.queued] == ["j1", "j2"]
    assert state(connection)[Q.wake] == ["1"]


def test_at_front_pushes_to_the_head(connection: redis.Redis) -> None:
    transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW)
    transitions.enqueue(connection, Q, "j2", FIELDS, now=NOW, at_front=True)
    assert state(connection)[Q.queued] == ["j2", "j1"]


def test_due_later_is_scheduled(connection: redis.Redis) -> None:
    code = transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW, due=NOW + 5000)
    assert code == 2
    assert state(connection) == {
        Q.scheduled: {"j1": NOW + 5000},
        Q.job("j1"): {**FIELDS, "status": "scheduled", "created": str(NOW)},
    }


def test_due_in_the_past_is_queued(connection: redis.Redis) -> None:
    assert transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW, due=NOW - 1) == 1
    assert state(connection)[Q.queued] == ["j1"]


def test_ttl_expires_the_job_hash(connection: redis.Redis) -> None:
    transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW, ttl_ms=60_000)
    assert 59_000 < connection.pttl(Q.job("j1")) <= 60_000


@pytest.mark.parametrize("status", ["queued", "started", "scheduled", "deferred"])
def test_live_job_with_the_same_id_is_refused_and_nothing_written(
    connection: redis.Redis, status: str
) -> None:
    put_job(connection, "j1", status)
    before = state(connection)
    code = transitions.enqueue(connection.pipeline(), Q, "j1", FIELDS, now=NOW)
    assert code is None  # only queued on a pipeline
    with pytest.raises(DuplicateJobError, match="'j1'") as info:
        transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW)
    assert info.value.job_id == "j1"
    assert state(connection) == before


@pytest.mark.parametrize(
    "status, registry", [("finished", Q.finished), ("failed", Q.failed), ("canceled", Q.canceled)]
)
def test_ended_job_id_is_reused_and_its_old_data_dropped(
    connection: redis.Redis, status: str, registry: str
) -> None:
    put_job(connection, "j1", status, result="old", error="old trace", attempts=3)
    connection.zadd(registry, {"j1": NOW + 1000, "other": NOW})
    assert transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW) == 1
    after = state(connection)
    assert after[Q.job("j1")] == {**FIELDS, "status": "queued", "created": str(NOW)}
    assert after[registry] == {"other": NOW}


def test_pending_dependency_defers(connection: redis.Redis) -> None:
    put_job(connection, "dep", "queued")
    code = transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW, depends_on=["dep"])
    assert code == 3
    after = state(connection)
    assert after[Q.deferred] == {"j1": NOW}
    assert after[Q.dependents("dep")] == {"j1"}
    assert after[Q.job("j1")] == {
        **FIELDS,
        "status": "deferred",
        "pending_deps": "1",
        "created": str(NOW),
    }
    assert Q.queued not in after


def test_only_unfinished_dependencies_are_counted(connection: redis.Redis) -> None:
    put_job(connection, "a", "started")
    put_job(connection, "b", "finished")
    put_job(connection, "c", "scheduled")
    code = transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW, depends_on=["a", "b", "c"])
    assert code == 3
    after = state(connection)
    assert after[Q.job("j1")]["pending_deps"] == "2"
    assert after[Q.dependents("a")] == {"j1"}
    assert after[Q.dependents("c")] == {"j1"}
    assert Q.dependents("b") not in after


def test_finished_or_vanished_dependencies_do_not_defer(connection: redis.Redis) -> None:
    put_job(connection, "done", "finished")
    code = transitions.enqueue(connection, Q, "j1", FIELDS, now=NOW, depends_on=["done", "gone"])
    assert code == 1
    assert state(connection)[Q.queued] == ["j1"]


@pytest.mark.parametrize("dep_status", ["failed", "canceled", "stopped"])
def test_failed_dependency_cancels_at_once(connection: redis.Redis, dep_status: str) -> None:
    put_job(connection, "pending", "queued")
    put_job(connection, "bad", dep_status)
    fields = {**FIELDS, "failure_ttl": "100"}
    code = transitions.enqueue(connection, Q, "j1", fields, now=NOW, depends_on=["pending", "bad"])
    assert code == 4
    after = state(connection)
    assert after[Q.canceled] == {"j1": NOW + 100_000}
    assert after[Q.job("j1")] == {
        **fields,
        "status": "canceled",
        "created": str(NOW),
        "ended": str(NOW),
        "reason": "dependency bad did not finish",
    }
    # it waits on nothing: no dependents entry left behind
    assert Q.dependents("pending") not in after
    assert Q.deferred not in after and Q.queued not in after


def test_failed_dependency_allowed(connection: redis.Redis) -> None:
    put_job(connection, "bad", "failed")
    put_job(connection, "pending", "started")
    fields = {**FIELDS, "allow_dep_fail": "1"}
    code = transitions.enqueue(connection, Q, "j1", fields, now=NOW, depends_on=["bad", "pending"])
    assert code == 3
    assert state(connection)[Q.job("j1")]["pending_deps"] == "1"
    put_job(connection, "bad2", "failed")
    assert transitions.enqueue(connection, Q, "j2", fields, now=NOW, depends_on=["bad2"]) == 1


def test_dependencies_win_over_a_due_time(connection: redis.Redis) -> None:
    put_job(connection, "dep", "queued")
    code = transitions.enqueue(
        connection, Q, "j1", FIELDS, now=NOW, due=NOW + 10_000, depends_on=["dep"]
    )
    assert code == 3
    assert Q.scheduled not in state(connection)


@pytest.mark.parametrize(
    ("status", "code"),
    [("queued", 1), ("started", 1), ("finished", 1), ("scheduled", 2), ("deferred", 3),
     ("canceled", 4)],
)  # fmt: skip
def test_a_new_random_id_found_stored_is_this_enqueue_sent_again(
    connection: redis.Redis, status: str, code: int
) -> None:
    """redis-py resends a call whose reply was lost (Redis restarting): with an id the
    caller made at random for this job, the job found is this one; nothing is written
    again (no second list entry, no reset of a job that already ran)."""
    stored = put_job(connection, "r1", status)
    before = state(connection)
    assert transitions.enqueue(connection, Q, "r1", FIELDS, now=NOW, new_id=True) == code
    assert state(connection) == before
    assert state(connection)[Q.job("r1")] == stored
