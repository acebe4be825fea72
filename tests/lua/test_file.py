"""file-7.lua: file a job that is not running into a registry by hand (registry.add)."""

from __future__ import annotations

import math

import pytest
import redis

from jobq import filing
from jobq.exceptions import InvalidJobOperation, NoSuchJobError
from jobq.status import JobStatus

from .conftest import NOW, Q, put_job, state


def test_a_queued_job_is_filed_as_finished_with_the_ttl_given(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a", "b")
    put_job(connection, "b", "queued")
    got = filing.file(connection, Q, "a", JobStatus.FINISHED, ttl=60, now=NOW)
    assert got is filing.Filed.FILED
    after = state(connection)
    assert after[Q.queued] == ["b"]
    assert after[Q.finished] == {"a": NOW + 60_000}
    job = after[Q.job("a")]
    assert (job["status"], job["ended"], job["result_ttl"]) == ("finished", str(NOW), "60")
    assert 0 < connection.pttl(Q.job("a")) <= 60_000


def test_failed_keeps_the_error_given_and_minus_one_keeps_forever(
    connection: redis.Redis,
) -> None:
    put_job(connection, "a", "scheduled")
    connection.zadd(Q.scheduled, {"a": NOW + 5})
    filing.file(connection, Q, "a", JobStatus.FAILED, ttl=-1, error="Boom", now=NOW)
    after = state(connection)
    assert Q.scheduled not in after
    assert after[Q.failed] == {"a": math.inf}
    assert after[Q.job("a")]["error"] == "Boom"
    assert connection.ttl(Q.job("a")) == -1


def test_without_a_ttl_the_job_keeps_its_own(connection: redis.Redis) -> None:
    put_job(connection, "a", "created", failure_ttl=30)
    filing.file(connection, Q, "a", JobStatus.CANCELED, now=NOW)
    assert state(connection)[Q.canceled] == {"a": NOW + 30_000}


def test_filing_again_in_the_same_registry_changes_only_the_expiry(
    connection: redis.Redis,
) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    filing.file(connection, Q, "a", JobStatus.FINISHED, ttl=60, now=NOW)
    ended = state(connection)[Q.job("a")]
    filing.file(connection, Q, "a", JobStatus.FINISHED, ttl=-1, now=NOW + 10)
    after = state(connection)
    assert after[Q.finished] == {"a": math.inf}
    assert after[Q.job("a")] == ended
    assert connection.ttl(Q.job("a")) == -1


def test_a_waiting_job_is_deferred_until_enqueued_by_hand(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    filing.file(connection, Q, "a", JobStatus.DEFERRED, now=NOW)
    after = state(connection)
    assert Q.queued not in after
    assert after[Q.deferred] == {"a": NOW}
    assert after[Q.job("a")]["status"] == "deferred"


def test_xx_files_only_a_job_already_there(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.rpush(Q.queued, "a")
    before = state(connection)
    got = filing.file(connection, Q, "a", JobStatus.FAILED, ttl=5, xx=True, now=NOW)
    assert got is filing.Filed.NOT_THERE
    assert state(connection) == before


def test_running_or_otherwise_ended_jobs_are_refused(connection: redis.Redis) -> None:
    put_job(connection, "run", "started", worker="w1", attempts=1)
    connection.zadd(Q.started, {"run": NOW})
    put_job(connection, "done", "finished")
    connection.zadd(Q.finished, {"done": NOW})
    put_job(connection, "held", "queued", ckey="k")
    connection.rpush(Q.queued, "held")
    before = state(connection)
    for job_id, status in (
        ("run", JobStatus.FINISHED),
        ("done", JobStatus.FAILED),
        ("held", JobStatus.DEFERRED),
    ):
        with pytest.raises(InvalidJobOperation):
            filing.file(connection, Q, job_id, status, now=NOW)
    with pytest.raises(NoSuchJobError):
        filing.file(connection, Q, "missing", JobStatus.FINISHED, now=NOW)
    assert state(connection) == before


def test_a_status_that_is_no_registry_to_file_in_is_refused(connection: redis.Redis) -> None:
    with pytest.raises(ValueError):
        filing.file(connection, Q, "a", JobStatus.STARTED, now=NOW)


def test_a_queue_key_of_another_kind_stops_the_step(connection: redis.Redis) -> None:
    put_job(connection, "a", "queued")
    connection.set(Q.finished, "garbage")
    before = state(connection)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        filing.file(connection, Q, "a", JobStatus.FINISHED, now=NOW)
    assert state(connection) == before
