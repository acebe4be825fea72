"""The transition table in jobq.status against what the Lua scripts really do.

Every transition script runs here on real Redis, from every status it accepts;
the status of every job hash is read before and after each step, and each move
seen (including a job made, and a job deleted) must be an edge of the table.
The other way round, every edge of the table must be seen, so that the table
lists what the scripts do and nothing else.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from jobq import Job, Queue, Retry, filing, run_endings, taking, transitions
from jobq.queue import Dependency
from jobq.scheduler import Scheduler
from jobq.scripts import PLACED, Enqueued
from jobq.status import CREATED_AS, FILED_BY_HAND, TRANSITIONS, JobStatus
from tests.fixtures.jobs import noop as say_hello

WORKER = "edges-worker"
FUTURE = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
Edge = tuple[JobStatus | None, JobStatus | None]


class Observer:
    """Reads every job's status around each step and collects the moves."""

    def __init__(self, conn: redis.Redis) -> None:
        self.conn = conn
        self.edges: dict[Edge, str] = {}

    def statuses(self) -> dict[bytes, JobStatus]:
        out = {}
        for key in self.conn.scan_iter(match="jobq:{*}:job:*", count=1000):
            raw = self.conn.hget(key, "status")
            if raw is not None:
                out[key] = JobStatus(raw.decode())
        return out

    def step(self, label: str, action: Callable[[], object]) -> None:
        before = self.statuses()
        action()
        after = self.statuses()
        for key in before.keys() | after.keys():
            old, new = before.get(key), after.get(key)
            if old != new:
                self.edges.setdefault((old, new), label)


@pytest.fixture
def observer(connection: redis.Redis) -> Iterator[Observer]:
    yield Observer(connection)


def _take(q: Queue, lease_ms: int = 60_000) -> str:
    taken = transitions.dequeue(q.connection, q.keys, WORKER, 1, lease_ms)
    assert taken, "nothing was queued"
    return taken[0][0]


def _finish(q: Queue, job_id: str) -> None:
    transitions.finish(q.connection, q.keys, WORKER, [(job_id, b"null")])


def _fail(q: Queue, job_id: str) -> None:
    transitions.fail(q.connection, q.keys, WORKER, [(job_id, "Traceback ...", "ValueError")])


def _run_every_transition(q: Queue, o: Observer) -> None:
    conn, k = q.connection, q.keys
    o.step("enqueue", lambda: q.enqueue(say_hello))
    o.step("dequeue", lambda: _take(q))
    o.step("finish", lambda: _finish(q, q.started_job_registry.get_job_ids()[0]))
    named = q.enqueue(say_hello)
    o.step("take a named job", lambda: taking.take(conn, k, named.id, WORKER, 60_000))
    _finish(q, named.id)

    parent = q.enqueue(say_hello)
    o.step("enqueue with a dependency", lambda: q.enqueue(say_hello, depends_on=parent))
    o.step(
        "enqueue_at with a dependency",
        lambda: q.enqueue_at(FUTURE, say_hello, depends_on=parent),
    )
    o.step("dequeue", lambda: _take(q))
    o.step("finish settles dependents", lambda: _finish(q, parent.id))
    q.empty()

    o.step("enqueue_at", lambda: q.enqueue_at(FUTURE, say_hello))
    far = int((FUTURE + dt.timedelta(minutes=1)).timestamp() * 1000)
    o.step("promote", lambda: transitions.promote(conn, k, now=far))
    q.empty()

    doomed = q.enqueue(say_hello)
    q.enqueue(say_hello, depends_on=doomed)
    tolerant = q.enqueue(say_hello, depends_on=Dependency(doomed, allow_failure=True))
    o.step("dequeue", lambda: _take(q))
    o.step("fail settles dependents", lambda: _fail(q, doomed.id))
    o.step("enqueue after a failed dependency", lambda: q.enqueue(say_hello, depends_on=doomed))
    assert tolerant.get_status() == JobStatus.QUEUED
    q.empty()

    q.enqueue(say_hello, retry=Retry(max=2))
    o.step("dequeue", lambda: _take(q))
    o.step("fail with a retry", lambda: _fail(q, q.started_job_registry.get_job_ids()[0]))
    q.empty()
    q.enqueue(say_hello, retry=Retry(max=2, interval=3600))
    o.step("dequeue", lambda: _take(q))
    o.step("fail with a delayed retry", lambda: _fail(q, q.started_job_registry.get_job_ids()[0]))
    q.empty()
    for policy in (Retry(max=1), Retry(max=1, interval=3600)):
        q.enqueue(say_hello)
        asked = _take(q)
        o.step(
            "a returned Retry",
            lambda a=asked, p=policy: run_endings.retry_returned(
                conn, k, WORKER, [(a, p.to_json())]
            ),
        )
        q.empty()
    q.enqueue(say_hello)
    exhausted = _take(q)
    conn.hset(k.job(exhausted), "attempts", 2)
    o.step(
        "a returned Retry used up",
        lambda: run_endings.retry_returned(conn, k, WORKER, [(exhausted, Retry(max=1).to_json())]),
    )

    q.enqueue(say_hello)
    taken = _take(q)
    o.step("release", lambda: transitions.release(conn, k, WORKER, [taken]))
    _take(q, lease_ms=1)
    o.step("reap", lambda: transitions.reap(conn, k, now=transitions.now_ms() + 10_000))
    conn.hset(k.job(_take(q, lease_ms=1)), "lost", 99)
    o.step("reap past the lost limit", lambda: transitions.reap(conn, k, now=far))

    for make in (
        lambda: q.enqueue(say_hello),
        lambda: q.enqueue_at(FUTURE, say_hello),
        lambda: q.enqueue(say_hello, depends_on=q.enqueue_at(FUTURE, say_hello)),
    ):
        job = make()
        o.step("cancel", lambda job=job: transitions.cancel(conn, k, job.id))
    q.enqueue(say_hello)
    running = _take(q)
    o.step("cancel a started job", lambda: transitions.cancel(conn, k, running))

    q.enqueue(say_hello)
    stopped = _take(q)
    o.step("stop a started job", lambda: run_endings.stop(conn, k, stopped))

    for registry in (q.failed_job_registry, q.canceled_job_registry, q.finished_job_registry):
        for job_id in registry.get_job_ids():
            o.step("requeue", lambda job_id=job_id: transitions.requeue(conn, k, job_id))

    for job in (
        q.enqueue_at(FUTURE, say_hello),
        q.enqueue(say_hello, depends_on=q.enqueue_at(FUTURE, say_hello)),
    ):
        o.step("enqueue_now", lambda job=job: transitions.enqueue_now(conn, k, job.id))

    for job_id in q.get_job_ids()[:2]:
        o.step("delete", lambda job_id=job_id: transitions.delete(conn, k, job_id))
    o.step("empty", lambda: transitions.empty(conn, k))

    q.enqueue(say_hello)
    failed = _take(q)
    _fail(q, failed)
    for dependency in (None, q.enqueue_at(FUTURE, say_hello).id, failed):
        made = Job.create(say_hello, connection=conn, origin=q.name, depends_on=dependency)
        o.step("save a created job", made.save)
        o.step("enqueue a created job", lambda made=made: q.enqueue_job(made))

    scheduler = Scheduler(queue=q, connection=conn)
    scheduler.schedule(dt.datetime.now(dt.UTC), say_hello, interval=3600)
    o.step("fire schedules", scheduler.enqueue_jobs)
    scheduler.schedule(dt.datetime.now(dt.UTC), say_hello, interval=0.05, max_instances=1)
    scheduler.enqueue_jobs()  # its first run waits in the queue
    time.sleep(0.06)
    o.step("fire a slot whose earlier run is live (max_instances)", scheduler.enqueue_jobs)
    for job_id in q.canceled_job_registry.get_job_ids():
        o.step("requeue a skipped run", lambda job_id=job_id: transitions.requeue(conn, k, job_id))

    def created() -> Job:
        made = Job.create(say_hello, connection=conn, origin=q.name)
        made.save()
        return made

    for status in sorted(FILED_BY_HAND):
        for job in (
            created(),
            q.enqueue(say_hello),
            q.enqueue_at(FUTURE, say_hello),
            q.enqueue(say_hello, depends_on=q.enqueue_at(FUTURE, say_hello)),
        ):
            o.step(
                f"file as {status}",
                lambda job=job, status=status: filing.file(conn, k, job.id, status),
            )
            o.step("settle its dependents", lambda job=job: transitions.settle(conn, k, job.id))


def test_every_move_a_script_makes_is_in_the_table(queue: Queue, observer: Observer) -> None:
    _run_every_transition(queue, observer)
    allowed = {(None, s) for s in CREATED_AS}
    allowed |= {(s, None) for s in JobStatus}  # delete, empty, expiry
    allowed |= {(s, t) for s, targets in TRANSITIONS.items() for t in targets}
    unlisted = {edge: label for edge, label in observer.edges.items() if edge not in allowed}
    assert not unlisted, f"moves the table does not list: {unlisted}"


def test_every_edge_of_the_table_is_made_by_a_script(queue: Queue, observer: Observer) -> None:
    _run_every_transition(queue, observer)
    table = {(None, s) for s in CREATED_AS}
    table |= {(s, t) for s, targets in TRANSITIONS.items() for t in targets}
    never_seen = table - observer.edges.keys()
    assert not never_seen, f"edges no script made: {sorted(map(str, never_seen))}"


def test_only_a_running_job_is_stopped() -> None:
    assert {s for s, targets in TRANSITIONS.items() if JobStatus.STOPPED in targets} == {
        JobStatus.STARTED
    }
    assert JobStatus.STOPPED not in CREATED_AS


def test_enqueue_replies_name_the_status_the_job_gets(queue: Queue) -> None:
    """The reply table of the enqueue step (scripts.Enqueued) against the status the
    step stores: every code it has is seen, each with its own status."""
    conn, k = queue.connection, queue.keys
    failed = queue.enqueue(say_hello)
    _take(queue)
    _fail(queue, failed.id)
    pending = queue.enqueue_at(FUTURE, say_hello)
    fields = {"func": "tests.fixtures.jobs.noop", "data": "[[], {}]"}
    now = transitions.now_ms()
    seen = {}
    for job_id, due, deps in (
        ("now", 0, ()),
        ("later", now + 3_600_000, ()),
        ("waits", 0, (pending.id,)),
        ("doomed", 0, (failed.id,)),
    ):
        code = transitions.enqueue(conn, k, job_id, fields, now=now, due=due, depends_on=deps)
        assert code is not None
        seen[Enqueued(code)] = conn.hget(k.job(job_id), "status")
    assert set(seen) == set(Enqueued)
    for code, status in seen.items():
        assert status == code.status.value.encode() == PLACED[code].encode()
