"""OpenTelemetry (docs/observability.md, "Tracing"): a ``jobq.enqueue`` span where a
job is made, a ``jobq.run`` span where it runs, the second a child of the first
through the trace context stored with the job; nothing of OpenTelemetry is imported
or written when the application set no tracer provider."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from jobq import Queue, Retry, SimpleWorker, Worker
from jobq.async_queue import AsyncQueue
from tests.conftest import ROOT, Processes, _env
from tests.fixtures import jobs

otel_trace = pytest.importorskip("opentelemetry.trace")
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402
from opentelemetry.util._once import Once  # noqa: E402


def _reset_global_provider() -> None:
    # as OpenTelemetry's own test utilities do: the API sets a provider once per process
    otel_trace._TRACER_PROVIDER = None
    otel_trace._TRACER_PROVIDER_SET_ONCE = Once()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _reset_global_provider()
    otel_trace.set_tracer_provider(provider)
    yield exporter
    _reset_global_provider()
    provider.shutdown()


def _named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def _assert_child(run: ReadableSpan, enqueue: ReadableSpan) -> None:
    assert run.parent is not None and enqueue.context is not None and run.context is not None
    assert run.context.trace_id == enqueue.context.trace_id
    assert run.parent.span_id == enqueue.context.span_id


def test_the_run_span_is_a_child_of_the_enqueue_span_with_the_job_attributes(
    connection: redis.Redis, spans: InMemorySpanExporter
) -> None:
    queue = Queue("traced", connection)
    job = queue.enqueue(jobs.add, 1, 2)
    SimpleWorker([queue], connection=connection).work(burst=True)
    (enqueue,) = _named(spans, "jobq.enqueue")
    (run,) = _named(spans, "jobq.run")
    _assert_child(run, enqueue)
    assert enqueue.kind == SpanKind.PRODUCER and run.kind == SpanKind.CONSUMER
    for span in (enqueue, run):
        assert span.attributes is not None
        assert span.attributes["messaging.system"] == "jobq"
        assert span.attributes["messaging.destination.name"] == "traced"
        assert span.attributes["messaging.message.id"] == job.id
        assert span.attributes["jobq.job.function"] == "tests.fixtures.jobs.add"
    assert enqueue.attributes is not None and run.attributes is not None
    assert enqueue.attributes["messaging.operation.type"] == "send"
    assert run.attributes["messaging.operation.type"] == "process"
    assert run.attributes["jobq.job.attempt"] == 1
    assert run.status.status_code == StatusCode.UNSET
    # the Redis round trip of the enqueue happened inside its span
    assert enqueue.start_time is not None and run.start_time is not None
    assert enqueue.end_time is not None and enqueue.end_time <= run.start_time


def test_spans_a_job_makes_are_children_of_its_run_span(
    connection: redis.Redis, spans: InMemorySpanExporter
) -> None:
    queue = Queue("traced", connection)
    job = queue.enqueue(jobs.open_a_span)
    SimpleWorker([queue], connection=connection).work(burst=True)
    (run,) = _named(spans, "jobq.run")
    (inside,) = _named(spans, "inside")
    assert inside.parent is not None and run.context is not None
    assert inside.parent.span_id == run.context.span_id
    assert job.result == format(inside.context.span_id, "016x")  # type: ignore[union-attr]


def test_each_attempt_of_a_failing_job_is_an_error_span_under_the_one_enqueue_span(
    connection: redis.Redis, spans: InMemorySpanExporter
) -> None:
    queue = Queue("traced", connection)
    queue.enqueue(jobs.fail, "kaput", retry=Retry(max=1))
    SimpleWorker([queue], connection=connection).work(burst=True)
    (enqueue,) = _named(spans, "jobq.enqueue")
    runs = _named(spans, "jobq.run")
    assert [r.attributes["jobq.job.attempt"] for r in runs if r.attributes] == [1, 2]
    for run in runs:
        _assert_child(run, enqueue)
        assert run.status.status_code == StatusCode.ERROR
        assert run.status.description == "ValueError"
        (event,) = run.events
        assert event.attributes is not None and "kaput" in str(
            event.attributes["exception.stacktrace"]
        )


def test_a_bulk_enqueue_gives_each_job_its_own_parent_span(
    connection: redis.Redis, spans: InMemorySpanExporter
) -> None:
    queue = Queue("traced", connection)
    made = queue.enqueue_many([Queue.prepare_data(jobs.add, [i, i]) for i in range(3)])
    SimpleWorker([queue], connection=connection).work(burst=True)
    enqueues = {s.attributes["messaging.message.id"]: s for s in _named(spans, "jobq.enqueue")}  # type: ignore[index]
    runs = {s.attributes["messaging.message.id"]: s for s in _named(spans, "jobq.run")}  # type: ignore[index]
    assert set(enqueues) == set(runs) == {j.id for j in made}
    for job_id, run in runs.items():
        _assert_child(run, enqueues[job_id])
        assert enqueues[job_id].attributes["messaging.operation.type"] == "create"  # type: ignore[index]


def test_an_async_enqueue_is_traced_as_a_sync_one(
    redis_url: str, connection: redis.Redis, spans: InMemorySpanExporter
) -> None:
    async def enqueue() -> str:
        queue = AsyncQueue("traced", url=redis_url)
        try:
            return (await queue.enqueue(jobs.add, 1, 2)).id
        finally:
            await queue.aclose()

    job_id = asyncio.run(enqueue())
    SimpleWorker(["traced"], connection=connection).work(burst=True)
    (enqueue_span,) = _named(spans, "jobq.enqueue")
    (run,) = _named(spans, "jobq.run")
    assert run.attributes is not None and run.attributes["messaging.message.id"] == job_id
    _assert_child(run, enqueue_span)


def test_a_job_whose_executor_died_gets_an_error_run_span_from_the_supervisor(
    connection: redis.Redis, spans: InMemorySpanExporter
) -> None:
    queue = Queue("traced", connection)
    queue.enqueue(jobs.kill_self)
    Worker([queue], connection).work(burst=True)
    (enqueue,) = _named(spans, "jobq.enqueue")
    (run,) = _named(spans, "jobq.run")  # the child's own span died with it
    _assert_child(run, enqueue)
    assert run.status.status_code == StatusCode.ERROR
    assert run.status.description == "worker child died"


GARBLED = {
    "not a traceparent": b"00-zz",
    "not ascii": "00-é".encode("latin-1"),
    "too long": b"x" * 5000,
    "invalid ids": b"00-" + b"0" * 32 + b"-" + b"0" * 16 + b"-01",
    "empty": b"",
}


@pytest.mark.parametrize("garbage", list(GARBLED))
def test_a_garbled_trace_field_starts_a_new_trace_and_the_job_still_runs(
    connection: redis.Redis, spans: InMemorySpanExporter, garbage: str
) -> None:
    queue = Queue("traced", connection)
    job = queue.enqueue(jobs.add, 1, 2)
    connection.hset(job.key, "trace", GARBLED[garbage])
    SimpleWorker([queue], connection=connection).work(burst=True)
    (run,) = _named(spans, "jobq.run")
    assert run.parent is None and job.result == 3


def test_the_trace_context_fits_redis_compact_hash_encoding(
    connection: redis.Redis, spans: InMemorySpanExporter
) -> None:
    job = Queue("traced", connection).enqueue(jobs.noop)
    stored = connection.hget(job.key, "trace")
    assert isinstance(stored, bytes) and len(stored) == 55 and stored.startswith(b"00-")
    assert connection.object("encoding", job.key) in (b"listpack", b"ziplist")


def test_without_a_tracer_provider_nothing_is_written_and_workers_add_no_hook(
    connection: redis.Redis,
) -> None:
    _reset_global_provider()  # OpenTelemetry imported, no provider set
    queue = Queue("traced", connection)
    job = queue.enqueue(jobs.add, 1, 2)
    assert connection.hget(job.key, "trace") is None
    assert len(SimpleWorker([queue], connection=connection).hooks) == 0


def test_the_provider_check_does_not_call_the_api_while_none_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """get_tracer_provider() reads the environment at each call while no provider is
    set (2 us, a measurable part of an enqueue); the check reads the API's global."""
    from jobq import tracing

    _reset_global_provider()

    def slow() -> None:
        raise AssertionError("get_tracer_provider() called on the enqueue path")

    monkeypatch.setattr(otel_trace, "get_tracer_provider", slow)
    assert tracing.tracer() is None


NOTHING_IMPORTED = """
import sys
import redis  # redis-py >= 8 imports parts of OpenTelemetry itself, when installed

def loaded():
    return {m for m in sys.modules if m.split(".")[0] == "opentelemetry"}

before = loaded()
from jobq import Queue, SimpleWorker
from jobq.async_queue import AsyncQueue
from jobq.connection import from_url
from tests.fixtures import jobs

connection = from_url(sys.argv[1])
queue = Queue("untraced", connection)
job = queue.enqueue(jobs.add, 1, 2)
queue.enqueue_many([Queue.prepare_data(jobs.add, [1, 2])])
SimpleWorker([queue], connection=connection).work(burst=True)
assert job.result == 3 and connection.hget(job.key, "trace") is None
assert loaded() == before, sorted(loaded() - before)
print("ok")
"""

NOT_INSTALLED = """
import sys

class NoOpenTelemetry:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "opentelemetry":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoOpenTelemetry())
"""


@pytest.mark.parametrize("case", ["installed but unused", "not installed"])
def test_without_the_extra_or_a_provider_opentelemetry_is_never_imported(
    redis_url: str, case: str
) -> None:
    script = (NOT_INSTALLED if case == "not installed" else "") + NOTHING_IMPORTED
    out = subprocess.run(
        [sys.executable, "-c", script, redis_url],
        env=_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


SITECUSTOMIZE = """
import json, os
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(
    out=open(os.environ["SPANS_FILE"], "a"),
    formatter=lambda span: json.dumps(json.loads(span.to_json())) + "\\n",
)))
trace.set_tracer_provider(provider)
"""


def test_a_worker_process_links_its_run_spans_to_the_producer(
    connection: redis.Redis,
    redis_url: str,
    spans: InMemorySpanExporter,
    processes: Processes,
    tmp_path: Path,
) -> None:
    """A real ``jobq worker`` (forked executor), its tracer provider set as
    ``opentelemetry-instrument`` sets one: before the worker starts."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    spans_file = tmp_path / "spans.jsonl"
    job = Queue("traced", connection).enqueue(jobs.add, 2, 3)
    env = _env()
    env["PYTHONPATH"] = f"{site}:{env['PYTHONPATH']}"
    env["SPANS_FILE"] = str(spans_file)
    worker = processes.spawn(
        [sys.executable, "-m", "jobq", "worker", "--url", redis_url, "--burst", "traced"], env
    )
    assert worker.wait(timeout=60) == 0, processes.log(worker)
    assert job.result == 5
    exported: list[dict[str, Any]] = [
        json.loads(line) for line in spans_file.read_text().splitlines()
    ]
    (run,) = [s for s in exported if s["name"] == "jobq.run"]
    (enqueue,) = _named(spans, "jobq.enqueue")
    assert enqueue.context is not None
    assert run["context"]["trace_id"] == f"0x{enqueue.context.trace_id:032x}"
    assert run["parent_id"] == f"0x{enqueue.context.span_id:016x}"
    assert run["attributes"]["messaging.message.id"] == job.id
    assert run["attributes"]["jobq.job.attempt"] == 1


def test_each_run_of_a_schedule_is_a_child_of_its_own_enqueue_span(
    connection: redis.Redis, spans: InMemorySpanExporter
) -> None:
    from jobq.scheduler import Scheduler, Ticker

    Scheduler(queue=Queue("traced", connection), connection=connection).schedule(
        dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1), jobs.add, args=[1, 2], interval=3600,
        id="hourly",
    )  # fmt: skip
    Ticker(connection).run_once()
    SimpleWorker(["traced"], connection=connection).work(burst=True)
    (enqueue,) = _named(spans, "jobq.enqueue")
    (run,) = _named(spans, "jobq.run")
    _assert_child(run, enqueue)
    assert enqueue.attributes is not None and run.attributes is not None
    run_id = run.attributes["messaging.message.id"]
    assert isinstance(run_id, str) and run_id.startswith("hourly@")
    assert enqueue.attributes["messaging.message.id"] == run_id
    assert enqueue.attributes["jobq.job.function"] == "tests.fixtures.jobs.add"
