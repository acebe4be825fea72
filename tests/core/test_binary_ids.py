"""Ids are bytes in Redis: an id with a space, a newline or invalid UTF-8 (written
there by hand: jobq refuses such ids at enqueue) is skipped with a reason by the
worker's supervisor, its executors and the reaper, and the worker goes on. Between
the executor and the supervisor reports travel framed, never as lines of text."""

from __future__ import annotations

import logging
import os

import pytest
import redis

from jobq import Queue, SimpleWorker, Worker, transitions
from jobq.worker.children import Child, PipeReporter
from jobq.worker.maintenance import reap_queues
from tests.fixtures import jobs

BAD_IDS = [b"with space", b"new\nline", b"\xff\xfe", b"caf\xc3", b"tab\there"]


def _plant(connection: redis.Redis, queue: Queue, raw_id: bytes, status: str) -> bytes:
    """A job hash that would run if its id were taken: a real function, a payload."""
    key = queue.keys.prefix.encode() + b"job:" + raw_id
    connection.hset(
        key,
        mapping={"func": "tests.fixtures.jobs.noop", "data": "[[],{}]", "status": status},
    )
    return key


@pytest.mark.parametrize("worker_class", [Worker, SimpleWorker])
def test_bad_ids_in_the_queue_and_in_started_do_not_stop_the_worker(
    queue: Queue,
    connection: redis.Redis,
    worker_class: type[Worker] | type[SimpleWorker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = queue.enqueue(jobs.add, 1, 1)
    for raw_id in BAD_IDS:
        _plant(connection, queue, raw_id, "queued")
        connection.rpush(queue.keys.queued, raw_id)
        # as if a dead worker had held it: the reaper meets it
        started = b"dead-" + raw_id
        _plant(connection, queue, started, "started")
        connection.zadd(queue.keys.started, {started: 1})
    last = queue.enqueue(jobs.add, 2, 2)
    with caplog.at_level(logging.WARNING, logger="jobq.worker"):
        worker_class([queue], connection, lease_seconds=1).work(burst=True)
    first.refresh()
    last.refresh()
    assert (first.result, last.result) == (2, 4)
    assert queue.count == 0
    # the sweep every worker's upkeep and the scheduler make: it drops the bad ids of
    # `started` (their hashes are left as they were) and reports nothing
    reaped: list[tuple[str, list[str]]] = []
    reap_queues(
        connection, [queue.keys], transitions.now_ms(), lambda q, ids: reaped.append((q, ids))
    )
    assert reaped == []
    assert connection.zcard(queue.keys.started) == 0
    for raw_id in BAD_IDS:
        assert connection.hget(queue.keys.prefix.encode() + b"job:" + raw_id, "status") == b"queued"
    if worker_class is Worker:
        return  # its executors logged the skipped ids, in their own processes
    skipped = [r.getMessage() for r in caplog.records if "skipped id" in r.getMessage()]
    assert len(skipped) == len(BAD_IDS), skipped
    assert all("not a job id" in m for m in skipped)


def test_reports_are_framed_whatever_the_ids_hold() -> None:
    """Any text in an id, split anywhere across reads, comes out as it went in."""
    read_fd, write_fd = os.pipe()
    try:
        reporter = PipeReporter(write_fd)
        odd = ["a b", "line\nbreak", "A 1 0 x", "\udcff", "{x}", ""]
        reporter.took("q", odd)
        reporter.started("q", "line\nbreak", 2.5)
        reporter.acked("q", ["a b"], 1, 0)
        data = os.read(read_fd, 65536)
    finally:
        os.close(read_fd)
        os.close(write_fd)
    child = Child(pid=0, fd=-1)
    for i in range(len(data)):  # one byte at a time: frames cut anywhere
        child.feed(data[i : i + 1])
    assert child.buffer == b""
    assert child.holdings.snapshot() == {"q": [i for i in odd if i != "a b"]}
    assert child.holdings.running is not None
    assert (child.holdings.running.job_id, child.holdings.running.timeout) == ("line\nbreak", 2.5)
    assert child.holdings.ok == 1


def test_an_unreadable_report_is_logged_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    child = Child(pid=0, fd=-1)
    frames = [b"not json", b'["T"]', b'["X","q",[]]', b'["T","q",["kept"]]']
    with caplog.at_level(logging.ERROR, logger="jobq.worker"):
        child.feed(b"".join(len(f).to_bytes(4, "big") + f for f in frames))
    assert caplog.text.count("unreadable report") == 3
    assert child.holdings.snapshot() == {"q": ["kept"]}
