"""Job statuses (rq's values) and the transitions between them.

The table is the contract the Lua scripts implement; tests and the admin read it
instead of hard-coding status strings.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    #: made by ``Job.create`` and saved, not enqueued yet: in no registry, expires
    CREATED = "created"
    QUEUED = "queued"
    FINISHED = "finished"
    FAILED = "failed"
    STARTED = "started"
    DEFERRED = "deferred"
    SCHEDULED = "scheduled"
    STOPPED = "stopped"
    CANCELED = "canceled"
    #: a schedule's slot not run because its earlier runs were still live (max_instances)
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset(
    {
        JobStatus.FINISHED,
        JobStatus.FAILED,
        JobStatus.STOPPED,
        JobStatus.CANCELED,
        JobStatus.SKIPPED,
    }
)

#: the statuses a job can start life in (enqueue, enqueue_many, a schedule's firing):
#: canceled when a dependency it must wait for has already failed
CREATED_AS = frozenset(
    {
        JobStatus.CREATED,
        JobStatus.QUEUED,
        JobStatus.SCHEDULED,
        JobStatus.DEFERRED,
        JobStatus.CANCELED,
        JobStatus.SKIPPED,  # a schedule's run, when max_instances runs are still live
    }
)

#: the registries registry.add files a job that waits (created, queued, scheduled,
#: deferred) into, without running it (file-7.lua)
FILED_BY_HAND = frozenset(
    {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.DEFERRED}
)
#: the ends job.set_status gives a job that has not ended (rq's hand-set statuses)
SET_BY_HAND = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED})

#: status → statuses it may move to. tests/lua/test_status_edges.py runs every
#: transition script and checks that the moves it sees are these, and only these.
#: STOPPED: a running job stopped by a command (stop-2.lua, jobq.command).
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    # enqueue_job of a created job (its dependencies decide between the three)
    JobStatus.CREATED: frozenset({JobStatus.QUEUED, JobStatus.DEFERRED}) | FILED_BY_HAND,
    JobStatus.QUEUED: frozenset({JobStatus.STARTED}) | FILED_BY_HAND,
    JobStatus.SCHEDULED: frozenset({JobStatus.QUEUED}) | FILED_BY_HAND,
    JobStatus.DEFERRED: frozenset(
        {
            JobStatus.QUEUED,
            JobStatus.SCHEDULED,  # its dependencies ended before its own due time
            JobStatus.CANCELED,  # by a user, or a dependency failed
        }
    )
    | (FILED_BY_HAND - {JobStatus.DEFERRED}),
    JobStatus.STARTED: frozenset(
        {
            JobStatus.FINISHED,
            JobStatus.FAILED,
            JobStatus.QUEUED,  # retry without delay, lease expired, handed back
            JobStatus.SCHEDULED,  # retry with an interval
            JobStatus.CANCELED,
            JobStatus.STOPPED,  # by a command (send_stop_job_command)
        }
    ),
    JobStatus.FINISHED: frozenset({JobStatus.QUEUED}),
    JobStatus.FAILED: frozenset({JobStatus.QUEUED}),
    JobStatus.STOPPED: frozenset({JobStatus.QUEUED}),
    JobStatus.CANCELED: frozenset({JobStatus.QUEUED}),
    JobStatus.SKIPPED: frozenset({JobStatus.QUEUED}),  # run the skipped slot after all
}


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[current]
