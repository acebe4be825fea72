"""Fire the due schedules of some queues: read, plan in Python, fire in Lua.

Python reads each due schedule's definition and decides which slots to fire
and what the next slot is (cron needs croniter, which Lua cannot run). Each
firing is then one ``fire`` Lua step that checks the schedule is still where
Python read it (revision and next slot), so a plan made from a stale read does
nothing instead of firing a slot twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

from .. import defaults, tracing, transitions
from ..connection import text
from ..exceptions import JobqError
from ..keys import QueueKeys
from ..scripts import Fired, execute_pipeline
from ..serializers import resolve_serializer
from .cron import from_ms
from .definitions import Firing, ScheduleState, plan

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

logger = logging.getLogger("jobq.scheduler")


@dataclass
class FireReport:
    fired: int = 0
    #: firings another scheduler (or a change) got to first
    lost: int = 0
    ended: int = 0
    #: slots skipped because earlier runs were still live (max_instances)
    skipped_busy: int = 0


def _run_meta(state: ScheduleState, slot: int, raw_meta: bytes | None, ser: bytes | None) -> bytes:
    """The run's meta: the schedule's meta plus ``schedule_id`` and ``slot`` (ISO, UTC),
    serialized like the run's arguments."""
    serializer = resolve_serializer(ser.decode() if ser else "json")
    meta = serializer.loads(raw_meta) if raw_meta else {}
    if not isinstance(meta, dict):
        meta = {"meta": meta}
    meta["schedule_id"] = state.id
    meta["slot"] = from_ms(slot).isoformat(timespec="milliseconds")
    return serializer.dumps(meta)


def _due_ids(
    connection: redis.Redis, queues: list[QueueKeys], now: int, limit: int
) -> list[tuple[QueueKeys, str]]:
    pipe = connection.pipeline(transaction=False)
    for q in queues:
        pipe.zrange(q.schedule_due, "-inf", now, byscore=True, offset=0, num=limit)
    out: list[tuple[QueueKeys, str]] = []
    for q, ids in zip(queues, pipe.execute(), strict=True):
        out.extend((q, text(i)) for i in ids)
    return out


def _read(
    connection: redis.Redis, due: list[tuple[QueueKeys, str]]
) -> list[tuple[QueueKeys, ScheduleState, bytes | None, bytes | None]]:
    pipe = connection.pipeline(transaction=False)
    for q, sid in due:
        pipe.hget(q.schedules, sid)
        pipe.hmget(q.schedule_job(sid), ["meta", "ser"])
    replies = pipe.execute()
    out = []
    for i, (q, sid) in enumerate(due):
        raw, (meta, ser) = replies[2 * i], replies[2 * i + 1]
        if raw is None:
            continue  # canceled or ended since the index was read
        try:
            out.append((q, ScheduleState.from_json(raw), meta, ser))
        except (ValueError, TypeError) as e:
            logger.error("schedule %s in queue %s is unreadable (%s); skipped", sid, q.name, e)
    return out


def fire_due(
    connection: redis.Redis,
    queues: Iterable[QueueKeys],
    now: int,
    *,
    grace_ms: int,
    limit: int = defaults.REAP_BATCH,
) -> FireReport:
    """Fire every due slot of the schedules of ``queues`` (at most ``limit`` schedules
    per queue per call; the loop calls again at once while some are still due)."""
    report = FireReport()
    due = _due_ids(connection, list(queues), now, limit)
    if not due:
        return report
    steps: list[tuple[QueueKeys, ScheduleState, Firing]] = []
    tracer = tracing.tracer()
    pipe = connection.pipeline(transaction=False)
    for q, state, raw_meta, ser in _read(connection, due):
        for firing in plan(state, now, grace_ms):
            try:
                meta = _run_meta(state, firing.slot, raw_meta, ser)
            except (JobqError, ValueError, TypeError) as e:  # a bad meta must not stop it
                logger.warning("schedule %s: cannot add its id to the run's meta (%s)", state.id, e)
                meta = b""
            transitions.fire_schedule(
                pipe, q, state.id, rev=state.rev, expected=firing.expected, slot=firing.slot,
                next_slot=firing.next_slot, now=now, skipped=firing.skipped, meta=meta,
                trace=_trace(tracer, q, state, firing.slot),
            )  # fmt: skip
            steps.append((q, state, firing))
    if not steps:
        return report
    for (q, state, firing), reply in zip(steps, execute_pipeline(connection, pipe), strict=True):
        code, run = transitions.decode_fire(reply)
        _log(q, state, firing, code, run, now)
        if code is Fired.NOTHING:
            report.lost += 1
        else:
            skipped = code in (Fired.SKIPPED, Fired.SKIPPED_AND_ENDED)
            report.fired += not skipped
            report.skipped_busy += skipped
            report.ended += code in (Fired.FIRED_AND_ENDED, Fired.SKIPPED_AND_ENDED)
    return report


def _trace(tracer: Tracer | None, q: QueueKeys, state: ScheduleState, slot: int) -> str:
    """The run's own ``jobq.enqueue`` span, made as it is planned; its context, for
    the run's hash (empty when no tracer provider is set)."""
    if tracer is None:
        return ""
    fields = {"func": state.func}
    tracing.created(tracer, q.name, [(f"{state.id}@{slot}", fields)])
    return fields.get(tracing.FIELD, "")


def _log(
    q: QueueKeys, state: ScheduleState, firing: Firing, code: Fired, run: str, now: int
) -> None:
    if code is Fired.NOTHING:
        logger.debug(
            "schedule %s slot %d: already fired or changed elsewhere", state.id, firing.slot
        )
        return
    if code in (Fired.SKIPPED, Fired.SKIPPED_AND_ENDED):
        logger.info(
            "schedule %s slot %d skipped: its earlier runs are still queued or running "
            "(max_instances=%s); recorded as run %s", state.id, firing.slot,
            state.max_instances, run,
        )  # fmt: skip
        return
    if code is Fired.RUN_STILL_LIVE:
        logger.warning(
            "schedule %s: run %s is still live from before; slot not fired", state.id, run
        )
        return
    logger.info(
        "schedule %s fired run %s on queue %s (%s, %d ms late%s)%s",
        state.id, run, q.name, state.func, now - firing.slot,
        f", {firing.skipped} missed slot(s) passed over" if firing.skipped else "",
        "; schedule ended" if code is Fired.FIRED_AND_ENDED else "",
    )  # fmt: skip
