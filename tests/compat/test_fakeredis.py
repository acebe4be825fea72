"""Users' own test suites on fakeredis, as rq users write them: ``FakeStrictRedis()``
with ``Queue(is_async=False)`` or a burst worker, no redis-server. The only tests of
jobq that use fakeredis: everything else runs on a real server."""

from __future__ import annotations

import datetime as dt

import pytest

from jobq import JobStatus, Queue, SimpleWorker
from jobq.scheduler import Scheduler
from tests.fixtures.jobs import add, fail

fakeredis = pytest.importorskip("fakeredis")
pytest.importorskip("lupa")  # fakeredis runs Lua scripts with it: pip install 'jobq[fakeredis]'


def test_inline_queue_on_fakeredis() -> None:
    queue = Queue("inline", connection=fakeredis.FakeStrictRedis(), is_async=False)
    assert queue.enqueue(add, 2, 3).result == 5


def test_burst_worker_on_fakeredis() -> None:
    connection = fakeredis.FakeStrictRedis()
    queue = Queue(connection=connection)
    done, broken = queue.enqueue(add, 1, 2), queue.enqueue(fail, "x")
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert done.result == 3 and broken.get_status() == JobStatus.FAILED


def test_scheduler_on_fakeredis() -> None:
    connection = fakeredis.FakeStrictRedis()
    scheduler = Scheduler(connection=connection)
    handle = scheduler.schedule(dt.datetime.now(dt.UTC), add, args=[1, 1], interval=60)
    assert handle in scheduler and scheduler.count() == 1
