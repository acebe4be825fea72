"""schedule-2.lua and reschedule-2.lua: store, replace and move a schedule."""

from __future__ import annotations

import json

import redis

from jobq import transitions
from jobq.scheduler.definitions import ScheduleState

from .conftest import NOW, Q, state

TEMPLATE = {"func": "tests.fixtures.jobs.noop", "data": "[[],{}]", "queue": Q.name}


def definition(sid: str = "s", **kw: object) -> ScheduleState:
    fields: dict[str, object] = {
        "id": sid, "queue": Q.name, "kind": "interval", "func": "tests.fixtures.jobs.noop",
        "next_run": NOW, "first_run": NOW, "created": NOW, "interval_ms": 1000, "rev": "r1",
    }  # fmt: skip
    fields.update(kw)
    return ScheduleState(**fields)  # type: ignore[arg-type]


def store(conn: redis.Redis, s: ScheduleState, template: dict[str, str] = TEMPLATE) -> bool:
    return transitions.store_schedule(conn, Q, s.id, s.to_json(), s.next_run, dict(template))


def test_store_writes_definition_index_and_template(connection: redis.Redis) -> None:
    s = definition()
    assert store(connection, s) is False
    assert state(connection) == {
        Q.schedules: {"s": s.to_json()},
        Q.schedule_due: {"s": NOW},
        Q.schedule_job("s"): TEMPLATE,
    }


def test_store_over_an_existing_id_replaces_it_and_keeps_its_runs(connection: redis.Redis) -> None:
    store(connection, definition(), {**TEMPLATE, "desc": "old"})
    connection.zadd(Q.schedule_runs("s"), {"s@1": 1})
    s2 = definition(next_run=NOW + 5, rev="r2")
    assert store(connection, s2) is True
    after = state(connection)
    assert after[Q.schedule_job("s")] == TEMPLATE  # the old "desc" is gone
    assert after[Q.schedules] == {"s": s2.to_json()}
    assert after[Q.schedule_due] == {"s": NOW + 5}
    assert after[Q.schedule_runs("s")] == {"s@1": 1}


def test_reschedule_moves_the_next_slot(connection: redis.Redis) -> None:
    store(connection, definition())
    assert transitions.move_schedule(connection, Q, "s", NOW + 777) is True
    after = state(connection)
    assert after[Q.schedule_due] == {"s": NOW + 777}
    assert json.loads(after[Q.schedules]["s"])["next_run"] == NOW + 777


def test_reschedule_of_an_unknown_schedule(connection: redis.Redis) -> None:
    assert transitions.move_schedule(connection, Q, "nope", NOW) is False
    assert state(connection) == {}
