"""Failed jobs reach Sentry with the job's id, function, queue, attempt and arguments
(``jobq worker --sentry-dsn``, ``rqworker --sentry-dsn``, or sentry-sdk initialised by
the application); argument values only when asked (docs/observability.md, "Sentry")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from jobq import Queue, Retry, SimpleWorker, Worker
from jobq.exceptions import ConfigurationError
from tests.fixtures.jobs import add, fail, kill_self, refuse

sentry_sdk = pytest.importorskip("sentry_sdk")
DSN = "https://public@sentry.invalid/1"


class Recorder(sentry_sdk.transport.Transport):
    """A local transport: the events, as they would have been sent (no network)."""

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Any) -> None:
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    monkeypatch.delenv("JOBQ_SENTRY_SEND_ARGS", raising=False)
    recorder = Recorder()
    yield recorder
    sentry_sdk.init()  # a client without a DSN: nothing is sent after the test


def _run_one_failing(connection: redis.Redis, hooks: list[Any]) -> tuple[str, Any]:
    queue = Queue("sentry", connection=connection)
    broken = queue.enqueue(refuse, "kaput", user="ann@example.com")
    queue.enqueue(add, 1, 2)
    SimpleWorker([queue], connection=connection, hooks=hooks).work(burst=True)
    sentry_sdk.flush()
    return broken.id, broken


def test_a_failed_job_becomes_one_sentry_event_with_its_job_context(
    connection: redis.Redis, recorder: Recorder
) -> None:
    from jobq import sentry

    hook = sentry.init(DSN, transport=recorder)
    job_id, _ = _run_one_failing(connection, [hook])
    (event,) = recorder.events
    assert event["level"] == "error"
    assert event["tags"] == {
        "job_id": job_id, "job_func": "tests.fixtures.jobs.refuse", "queue": "sentry", "attempt": "1",
    }  # fmt: skip
    job = event["contexts"]["job"]
    assert (job["id"], job["func"], job["queue"]) == (
        job_id,
        "tests.fixtures.jobs.refuse",
        "sentry",
    )
    assert (job["attempt"], job["max_attempts"]) == (1, 1)
    assert "ValueError: refused" in job["traceback"]


def test_argument_values_are_not_sent_by_default_only_their_types_and_names(
    connection: redis.Redis, recorder: Recorder
) -> None:
    from jobq import sentry

    _run_one_failing(connection, [sentry.init(DSN, transport=recorder)])
    (event,) = recorder.events
    assert event["contexts"]["job"]["args"] == ["<str>"]
    assert event["contexts"]["job"]["kwargs"] == {"user": "<str>"}
    assert "ann@example.com" not in json.dumps(event) and "kaput" not in json.dumps(event)


@pytest.mark.parametrize("how", ["send_args=True", "JOBQ_SENTRY_SEND_ARGS=1"])
def test_argument_values_are_sent_when_asked(
    connection: redis.Redis, recorder: Recorder, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    from jobq import sentry

    options: dict[str, Any] = {"transport": recorder}
    if how == "send_args=True":
        options["send_args"] = True
    else:
        monkeypatch.setenv("JOBQ_SENTRY_SEND_ARGS", "1")
    _run_one_failing(connection, [sentry.init(DSN, **options)])
    (event,) = recorder.events
    assert event["contexts"]["job"]["args"] == ["kaput"]
    assert event["contexts"]["job"]["kwargs"] == {"user": "ann@example.com"}


def test_send_args_given_in_code_wins_over_the_environment(
    connection: redis.Redis, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobq import sentry

    monkeypatch.setenv("JOBQ_SENTRY_SEND_ARGS", "1")
    hook = sentry.init(DSN, transport=recorder, send_args=False)
    _run_one_failing(connection, [hook])
    assert recorder.events[0]["contexts"]["job"]["args"] == ["<str>"]


def test_a_redact_callable_picks_what_is_sent(connection: redis.Redis, recorder: Recorder) -> None:
    from jobq import sentry

    def redact(args: list[Any], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        return args, {k: "***" if k == "user" else v for k, v in kwargs.items()}

    _run_one_failing(connection, [sentry.init(DSN, transport=recorder, redact=redact)])
    job = recorder.events[0]["contexts"]["job"]
    assert job["args"] == ["kaput"] and job["kwargs"] == {"user": "***"}


def test_a_bad_send_args_setting_says_what_to_write(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobq import sentry

    monkeypatch.setenv("JOBQ_SENTRY_SEND_ARGS", "maybe")
    with pytest.raises(ConfigurationError, match="JOBQ_SENTRY_SEND_ARGS='maybe': use 1"):
        sentry.init(DSN, transport=recorder)


def test_a_worker_reports_when_the_application_initialised_sentry_itself(
    connection: redis.Redis, recorder: Recorder
) -> None:
    sentry_sdk.init(dsn=DSN, transport=recorder)  # as an app's settings.py does; no hook given
    job_id, _ = _run_one_failing(connection, [])
    (event,) = recorder.events
    assert event["tags"]["job_id"] == job_id


def test_a_client_that_sends_nowhere_adds_no_hook(connection: redis.Redis) -> None:
    sentry_sdk.init()  # no DSN, no transport
    assert len(SimpleWorker(["sentry"], connection=connection).hooks) == 0


def test_each_attempt_is_reported_with_its_number(
    connection: redis.Redis, recorder: Recorder
) -> None:
    sentry_sdk.init(dsn=DSN, transport=recorder)
    queue = Queue("sentry", connection=connection)
    queue.enqueue(fail, "again", retry=Retry(max=1))
    SimpleWorker([queue], connection=connection).work(burst=True)
    sentry_sdk.flush()
    assert [e["tags"]["attempt"] for e in recorder.events] == ["1", "2"]
    assert [e["contexts"]["job"]["attempt"] for e in recorder.events] == [1, 2]
    assert [e["contexts"]["job"]["max_attempts"] for e in recorder.events] == [2, 2]


def test_a_job_whose_executor_died_is_reported_by_the_supervisor(
    connection: redis.Redis, recorder: Recorder
) -> None:
    sentry_sdk.init(dsn=DSN, transport=recorder)
    queue = Queue("sentry", connection=connection)
    job = queue.enqueue(kill_self)
    Worker([queue], connection=connection).work(burst=True)
    sentry_sdk.flush()
    # (the worker's own error log line is an event too, by sentry-sdk's logging integration)
    reported = [e for e in recorder.events if e.get("tags", {}).get("job_id") == job.id]
    assert len(reported) == 1 and "worker child died" in reported[0]["message"]


def test_a_job_that_returns_a_retry_is_not_reported(
    connection: redis.Redis, recorder: Recorder
) -> None:
    from jobq import sentry
    from tests.fixtures.retry_jobs import ask_for_retry

    hook = sentry.init(DSN, transport=recorder)
    queue = Queue("sentry", connection=connection)
    queue.enqueue(ask_for_retry, 1)
    SimpleWorker([queue], connection=connection, hooks=[hook]).work(burst=True)
    sentry_sdk.flush()
    assert recorder.events == []
