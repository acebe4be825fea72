"""Key names and hash tags, the status transition table, and the defaults."""

from __future__ import annotations

import pytest

from jobq import defaults, keys
from jobq.keys import QueueKeys
from jobq.status import TERMINAL, TRANSITIONS, JobStatus, can_transition


def test_queue_keys_are_hash_tagged_by_queue() -> None:
    q = QueueKeys("high")
    assert q.prefix == "jobq:{high}:"
    assert q.queued == "jobq:{high}:queued"
    assert q.started == "jobq:{high}:started"
    assert q.scheduled == "jobq:{high}:scheduled"
    assert q.deferred == "jobq:{high}:deferred"
    assert q.finished == "jobq:{high}:finished"
    assert q.failed == "jobq:{high}:failed"
    assert q.canceled == "jobq:{high}:canceled"
    assert q.wake == "jobq:{high}:wake"
    assert q.schedules == "jobq:{high}:schedules"
    assert q.schedule_due == "jobq:{high}:schedule-due"
    assert q.job("abc") == "jobq:{high}:job:abc"
    assert q.dependents("abc") == "jobq:{high}:dependents:abc"
    assert q.notify("abc") == "jobq:{high}:notify:abc"


def _slot_tag(key: str) -> str:
    """The part of a key Redis Cluster hashes (the first {...} with content)."""
    start = key.index("{")
    return key[start + 1 : key.index("}", start)]


def test_every_key_of_a_queue_hashes_to_the_queue_name() -> None:
    q = QueueKeys("emails")
    names = [
        q.queued, q.started, q.scheduled, q.deferred, q.finished, q.failed, q.canceled,
        q.wake, q.schedules, q.schedule_due, q.job("x"), q.dependents("x"), q.notify("x"),
    ]  # fmt: skip
    assert {_slot_tag(n) for n in names} == {"emails"}
    assert len(set(names)) == len(names)


def test_job_key_is_prefix_plus_job_suffix_as_the_scripts_derive_it() -> None:
    q = QueueKeys("q1")
    assert q.job("id1") == q.prefix + "job:" + "id1"
    assert q.dependents("id1") == q.prefix + "dependents:" + "id1"
    assert q.notify("id1") == q.prefix + "notify:" + "id1"


@pytest.mark.parametrize("bad", ["", "a b", "a{b", "a}b", "a\nb", "a\tb", "q" * 129])
def test_invalid_queue_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid queue name"):
        QueueKeys(bad)


def test_queue_names_have_a_length_limit_with_a_clear_message() -> None:
    assert QueueKeys("q" * keys.MAX_QUEUE_NAME).name == "q" * 128
    with pytest.raises(ValueError, match="at most 128 characters") as e:
        QueueKeys("q" * 10_000)
    assert len(str(e.value)) < 200  # the message shows the start of the name only


def test_global_keys() -> None:
    assert keys.QUEUES == "jobq:queues"
    assert keys.WORKERS == "jobq:workers"
    assert keys.SUSPENDED == "jobq:suspended"
    assert keys.worker("w1") == "jobq:worker:w1"


def test_statuses_are_rqs_values() -> None:
    assert JobStatus("queued") is JobStatus.QUEUED
    assert str(JobStatus.FINISHED) == "finished"
    assert JobStatus.FAILED == "failed"


def test_terminal_statuses() -> None:
    assert {s for s in JobStatus if s.is_terminal} == TERMINAL
    expected = {
        JobStatus.FINISHED,
        JobStatus.FAILED,
        JobStatus.STOPPED,
        JobStatus.CANCELED,
        JobStatus.SKIPPED,  # a schedule's slot skipped by max_instances
    }
    assert expected == TERMINAL


def test_transition_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(JobStatus)


def test_transitions() -> None:
    assert can_transition(JobStatus.QUEUED, JobStatus.STARTED)
    assert can_transition(JobStatus.QUEUED, JobStatus.CANCELED)
    assert can_transition(JobStatus.QUEUED, JobStatus.FINISHED)  # job.set_status, by hand
    assert not can_transition(JobStatus.QUEUED, JobStatus.STOPPED)
    assert not can_transition(JobStatus.FINISHED, JobStatus.FAILED)
    assert can_transition(JobStatus.STARTED, JobStatus.FINISHED)
    assert can_transition(JobStatus.STARTED, JobStatus.FAILED)
    assert can_transition(JobStatus.STARTED, JobStatus.QUEUED)  # lease expired, handed back
    assert can_transition(JobStatus.STARTED, JobStatus.SCHEDULED)  # retry with an interval
    assert can_transition(JobStatus.SCHEDULED, JobStatus.QUEUED)
    assert can_transition(JobStatus.DEFERRED, JobStatus.QUEUED)
    assert not can_transition(JobStatus.DEFERRED, JobStatus.STARTED)


def test_terminal_states_only_lead_back_to_the_queue() -> None:
    for status in TERMINAL:
        assert TRANSITIONS[status] == {JobStatus.QUEUED}, status


def test_no_status_transitions_to_itself() -> None:
    for status, targets in TRANSITIONS.items():
        assert status not in targets


def test_defaults_keep_rqs_numbers() -> None:
    assert defaults.QUEUE_NAME == "default"
    assert defaults.JOB_TIMEOUT == 180
    assert defaults.RESULT_TTL == 500
    assert defaults.FAILURE_TTL == 365 * 24 * 3600


def test_defaults_are_consistent() -> None:
    assert defaults.HEARTBEAT_SECONDS == defaults.LEASE_SECONDS / 3
    assert defaults.HEARTBEAT_SECONDS < defaults.LEASE_SECONDS
    assert defaults.MAX_LOST == 3
    assert defaults.MAX_PREFETCH >= 1
    assert 0 < defaults.ACK_FLUSH_SECONDS < 0.1
    assert defaults.IDLE_WAIT_SECONDS <= defaults.LEASE_SECONDS
    assert defaults.WORKER_TTL_SECONDS > defaults.HEARTBEAT_SECONDS
    assert defaults.SCHEDULER_INTERVAL <= 1
    assert defaults.REDIS_URL.startswith("redis://")
