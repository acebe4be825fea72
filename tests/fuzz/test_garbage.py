"""Garbage where jobq reads: random fields in a job's hash, random ids in the queue
list, random function paths. The job concerned fails with a reason (or is skipped),
the jobs around it finish, the worker goes on."""

from __future__ import annotations

import redis
from hypothesis import example, given
from hypothesis import strategies as st

from jobq import Job, Queue
from jobq.status import JobStatus
from tests.fixtures import jobs
from tests.helpers import burst

from .conftest import FUZZ, Tried

ALLOWED = ["tests.fixtures.jobs"]
FIELDS = [
    "func", "data", "timeout", "result_ttl", "failure_ttl", "ttl", "ser", "max_attempts",
    "retry_intervals", "attempts", "lost", "status", "deps", "pending_deps", "allow_dep_fail",
    "on_success", "on_failure", "meta", "progress", "created", "desc", "schedule_id", "slot",
    "waiters", "worker", "x",
]  # fmt: skip
NASTY = [
    b"", b"-1", b"0", b"1e309", b"nan", b"inf", b"[]", b"{}", b"null", b"[[], {}]", b"[1]",
    b'[[1], {"a": 1}, 3]', b"\xff\xfe", b"queued", b"started", b"finished", b"failed",
    b"pickle", b"json", b"tests.fixtures.jobs", b"tests.fixtures.jobs.nope", b'{"__jobq__": 1}',
    b'[[{"__jobq__": "date", "v": "never"}], {}]', b'[[{"__jobq__": "set", "v": [[1]]}], {}]',
]  # fmt: skip
garbage_values = st.sampled_from(NASTY) | st.binary(max_size=24)
garbage_fields = st.dictionaries(st.sampled_from(FIELDS), garbage_values, min_size=1, max_size=5)


def around(queue: Queue, connection: redis.Redis) -> tuple[Job, Job]:
    return queue.enqueue(jobs.add, 1, 1), queue.enqueue(jobs.add, 3, 3)


def check_went_on(queue: Queue, before: Job, after: Job) -> None:
    assert before.result == 2
    assert after.result == 6
    assert queue.started_job_registry.count == 0
    assert queue.count == 0


@FUZZ
@given(fields=garbage_fields, fail=st.booleans())
# what fuzzing found once: Redis looping forever waking 1e309 waiters, PEXPIRE of an
# infinite TTL failing the acknowledgement, a failing job retried forever
@example(fields={"waiters": b"1e309"}, fail=False)
@example(fields={"failure_ttl": b"1e309"}, fail=True)
@example(fields={"result_ttl": b"nan"}, fail=False)
@example(fields={"max_attempts": b"inf"}, fail=True)
def test_garbage_in_a_job_hash(
    connection: redis.Redis, tried: Tried, fields: dict[str, bytes], fail: bool
) -> None:
    tried()
    connection.flushdb()
    queue = Queue(connection=connection)
    before = queue.enqueue(jobs.add, 1, 1)
    bad = queue.enqueue(jobs.fail if fail else jobs.add, 2, 2)
    connection.hset(bad.key, mapping=fields)
    after = queue.enqueue(jobs.add, 3, 3)
    burst(queue, connection, allowed_modules=ALLOWED)
    check_went_on(queue, before, after)
    status = bad.get_status()
    # a retry may be due later, a garbage status may make the id a stale entry (skipped);
    # what may not happen is a job stuck in started or a failure without a reason
    if status == JobStatus.FAILED:
        assert bad.reason
    assert bad.id not in queue.started_job_registry


@FUZZ
@given(ids=st.lists(st.binary(max_size=40) | st.text(max_size=40), min_size=1, max_size=6))
def test_garbage_ids_in_the_queue(
    connection: redis.Redis, tried: Tried, ids: list[bytes | str]
) -> None:
    tried()
    connection.flushdb()
    queue = Queue(connection=connection)
    before = queue.enqueue(jobs.add, 1, 1)
    connection.rpush(queue.keys.queued, *ids)
    after = queue.enqueue(jobs.add, 3, 3)
    burst(queue, connection, allowed_modules=ALLOWED)
    check_went_on(queue, before, after)


dotted = st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z_][A-Za-z0-9_]{0,8}){1,3}", fullmatch=True
)
attrs = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda a: not hasattr(jobs, a)
)
paths = dotted | attrs.map(lambda a: f"tests.fixtures.jobs.{a}") | st.sampled_from(
    ["os.system", "subprocess.run", "tests.fixtures.jobs.os.system", "builtins.eval",
     "tests.fixtures.jobs.Tools.nope", "tests.fixtures.jobs.time.sleep"]
)  # fmt: skip


@FUZZ
@given(path=paths, allow=st.booleans())
def test_unknown_or_forbidden_functions(
    connection: redis.Redis, tried: Tried, path: str, allow: bool
) -> None:
    """With the allowlist nothing outside it runs; without one, an unknown path fails."""
    tried()
    connection.flushdb()
    queue = Queue(connection=connection)
    before = queue.enqueue(jobs.add, 1, 1)
    if not allow and not path.startswith("tests.fixtures.jobs."):
        path = f"no_such_{path}"  # never import a real module without the allowlist
    bad = queue.enqueue(path)
    after = queue.enqueue(jobs.add, 3, 3)
    burst(queue, connection, allowed_modules=ALLOWED if allow else None)
    check_went_on(queue, before, after)
    assert bad.get_status() == JobStatus.FAILED
    assert bad.reason in ("function not allowed", "function not importable", "TypeError"), (
        bad.reason
    )
