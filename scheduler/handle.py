"""``Schedule``: the handle :meth:`Scheduler.schedule` and :meth:`Scheduler.cron` return.

rq-scheduler returned one ``Job`` that every run reused; in jobq a schedule is
its own record and each run is a new job (``<schedule id>@<slot ms>``) with
``job.schedule_id`` and ``job.slot``. The handle's ``id`` is the schedule's id,
accepted by ``scheduler.cancel()`` and ``in scheduler``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis

from .. import transitions
from ..job import Job
from ..keys import QueueKeys
from .cron import from_ms
from .definitions import ScheduleState


class Schedule:
    def __init__(
        self,
        state: ScheduleState,
        connection: redis.Redis,
        template: dict[bytes, bytes] | None = None,
    ) -> None:
        self._state = state
        self.connection = connection
        self._template = template
        #: True once the schedule fired its last run or was canceled (seen on refresh)
        self.ended = False

    def __repr__(self) -> str:
        return f"Schedule({self.id!r}, queue={self.queue_name!r}, next_run={self.next_run})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Schedule)
            and other.id == self.id
            and other.queue_name == self.queue_name
        )

    def __hash__(self) -> int:
        return hash((self.id, self.queue_name))

    @classmethod
    def fetch(cls, schedule_id: str, queue_name: str, connection: redis.Redis) -> Schedule | None:
        """The schedule, or the final record of one that ended within the last day."""
        found = _read(connection, QueueKeys(queue_name), schedule_id)
        if found is None:
            return None
        handle = cls(found[0], connection)
        handle.ended = found[1]
        return handle

    def refresh(self) -> None:
        """Re-read the schedule. Once it fired its last run ``ended`` is True and the
        final values show (for a day); once canceled, the last values read stay."""
        found = _read(self.connection, self._keys, self.id)
        if found is None:
            self.ended = True
            return
        self._state, self.ended = found
        self._template = None

    def cancel(self) -> int | None:
        """Delete the schedule and cancel its runs not yet started (see Scheduler.cancel)."""
        self.ended = True
        return transitions.remove_schedule(self.connection, self._keys, self.id)

    # -- identity -----------------------------------------------------------------

    @property
    def _keys(self) -> QueueKeys:
        return QueueKeys(self._state.queue)

    @property
    def id(self) -> str:
        return self._state.id

    def get_id(self) -> str:
        return self.id

    @property
    def queue_name(self) -> str:
        return self._state.queue

    origin = queue_name

    @property
    def kind(self) -> str:
        """'once', 'interval' or 'cron'."""
        return self._state.kind

    # -- definition -----------------------------------------------------------------

    @property
    def func_name(self) -> str:
        return self._state.func

    @property
    def description(self) -> str:
        return self._state.description

    @property
    def interval(self) -> float | None:
        """Seconds between slots (interval schedules)."""
        ms = self._state.interval_ms
        return None if ms is None else ms / 1000

    @property
    def cron_string(self) -> str | None:
        return self._state.cron

    @property
    def timezone(self) -> str | None:
        return self._state.timezone

    @property
    def repeat(self) -> int | None:
        """Runs asked for in all (None: forever)."""
        return self._state.repeat

    @property
    def catch_up(self) -> int:
        return self._state.catch_up

    @property
    def created_at(self) -> dt.datetime:
        return from_ms(self._state.created)

    # -- state ----------------------------------------------------------------------

    @property
    def next_run(self) -> dt.datetime | None:
        return None if self.ended else from_ms(self._state.next_run)

    @property
    def last_run(self) -> dt.datetime | None:
        """The slot of the latest run (None before the first)."""
        return from_ms(self._state.last_run) if self._state.last_run else None

    @property
    def runs(self) -> int:
        """Runs fired so far."""
        return self._state.runs

    @property
    def repeats_left(self) -> int | None:
        """Runs still to fire (None: forever)."""
        if self.ended:
            return 0
        return None if self._state.left < 0 else self._state.left

    @property
    def skipped(self) -> int:
        """Missed slots passed over (the scheduler was down and the schedule collapses)."""
        return self._state.skipped

    @property
    def max_instances(self) -> int | None:
        """Runs queued or running at once at most; a slot past it is skipped (None: no limit)."""
        return self._state.max_instances or None

    @property
    def last_job_id(self) -> str | None:
        return self._state.last_job or None

    # -- the run template -------------------------------------------------------------

    @property
    def template(self) -> Job:
        """A Job view of what each run starts from (function, arguments, options, meta)."""
        if self._template is None:
            raw = self.connection.hgetall(self._keys.schedule_job(self.id))
            self._template = {bytes(k): bytes(v) for k, v in raw.items()}  # type: ignore[arg-type, unused-ignore]
        return Job(self.id, self.connection, origin=self.queue_name, fields=self._template)

    @property
    def args(self) -> list[Any]:
        return self.template.args

    @property
    def kwargs(self) -> dict[str, Any]:
        return self.template.kwargs

    @property
    def meta(self) -> dict[str, Any]:
        return self.template.meta

    @property
    def timeout(self) -> float | None:
        return self.template.timeout

    @property
    def result_ttl(self) -> float | None:
        return self.template.result_ttl

    @property
    def ttl(self) -> float | None:
        """Seconds each run may wait in the queue before it is dropped (None: no limit)."""
        return self.template.ttl


def _read(
    connection: redis.Redis, q: QueueKeys, schedule_id: str
) -> tuple[ScheduleState, bool] | None:
    """(state, ended) of a live schedule or of the record an ended one leaves."""
    pipe = connection.pipeline(transaction=False)
    pipe.hget(q.schedules, schedule_id)
    pipe.get(q.schedule_ended(schedule_id))
    live, ended = pipe.execute()
    if live is not None:
        return ScheduleState.from_json(live), False
    if ended is not None:
        return ScheduleState.from_json(ended), True
    return None
