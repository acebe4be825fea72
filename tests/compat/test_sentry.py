"""Failed jobs reach Sentry with the job's id, function, queue and arguments
(``jobq worker --sentry-dsn``, ``rqworker --sentry-dsn``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from jobq import Queue, SimpleWorker
from tests.fixtures.jobs import add, fail

sentry_sdk = pytest.importorskip("sentry_sdk")


class Recorder(sentry_sdk.transport.Transport):
    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Any) -> None:
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


@pytest.fixture
def sentry_events() -> Iterator[tuple[list[dict[str, Any]], Any]]:
    from jobq import sentry

    recorder = Recorder()
    hook = sentry.init("https://public@sentry.invalid/1", transport=recorder)
    yield recorder.events, hook
    sentry_sdk.init()  # a client without a DSN: nothing is sent after the test


def test_a_failed_job_becomes_one_sentry_event(connection: redis.Redis, sentry_events: Any) -> None:
    events, hook = sentry_events
    queue = Queue("sentry", connection=connection)
    broken = queue.enqueue(fail, "kaput")
    queue.enqueue(add, 1, 2)
    SimpleWorker([queue], connection=connection, hooks=[hook]).work(burst=True)
    sentry_sdk.flush()
    (event,) = events
    assert event["tags"]["job_id"] == broken.id and event["tags"]["queue"] == "sentry"
    assert event["tags"]["job_func"] == "tests.fixtures.jobs.fail"
    job = event["contexts"]["job"]
    assert job["args"] == ["kaput"] and "kaput" in job["traceback"]
