"""OpenTelemetry spans around jobs: ``jobq.enqueue`` where a job is made, ``jobq.run``
where a worker runs it, the second a child of the first.

Needs the optional extra (``pip install 'jobq[otel]'``) and a tracer provider set by
the application (``opentelemetry.trace.set_tracer_provider`` or
``opentelemetry-instrument``); jobq never configures one. Until one is set, tracing
costs about 0.1 us per enqueue: nothing here imports OpenTelemetry, it only looks
whether something did (``sys.modules``) and set a provider, and a worker adds its
hook only when a provider is set as it starts.

The producer's span context travels in the job hash, field ``trace``: the W3C
``traceparent`` header, then, after a space, ``tracestate`` when there is one (a
traceparent is 55 bytes, so a small job keeps Redis' compact hash encoding). Baggage
is not stored (it may hold what the application would not write to Redis). The field is
not covered by the job's MAC: it chooses nothing of what runs or how, each run of a
recurring schedule gets its own, and the worker reads it as untrusted input (a bad
one starts a new trace instead).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .hooks import BaseHook

if TYPE_CHECKING:
    from contextvars import Token

    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

    from .job import Job
    from .worker.executor import Outcome

#: the job hash field holding the producer's trace context
FIELD = "trace"
#: longest ``trace`` field a worker reads (a traceparent is 55 characters; W3C bounds
#: tracestate to 32 entries of at most 256 characters, most are far shorter)
MAX_FIELD_BYTES = 1024
SYSTEM = "jobq"

_cached: tuple[object, Tracer] | None = None
_MISSING = object()


def tracer() -> Tracer | None:
    """The tracer of the provider the application set, or None when it set none
    (OpenTelemetry not imported, or still its default proxy provider)."""
    global _cached
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    # While no provider is set, the API's get_tracer_provider() looks up an environment
    # variable at each call (about 2 us, 15 times this whole check): its global is read
    # instead, and the public call made only if that name is gone.
    provider: Any = getattr(trace, "_TRACER_PROVIDER", _MISSING)
    if provider is None:
        return None
    if provider is _MISSING:
        provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None
    if _cached is None or _cached[0] is not provider:
        _cached = (provider, provider.get_tracer("jobq", __version__))
    return _cached[1]


def _attributes(queue: str, job_id: str, func: str, operation: str) -> dict[str, Any]:
    """The messaging semantic conventions' names where they fit, jobq's own otherwise;
    ``operation`` is the conventions' type: send, create (one job of a bulk send),
    process."""
    return {
        "messaging.system": SYSTEM,
        "messaging.destination.name": queue,
        "messaging.operation.name": "run" if operation == "process" else "enqueue",
        "messaging.operation.type": operation,
        "messaging.message.id": job_id,
        "jobq.job.function": func,
    }


@contextlib.contextmanager
def enqueue_span(
    tracer: Tracer, queue: str, job_id: str, fields: dict[str, Any], operation: str = "send"
) -> Iterator[None]:
    """A ``jobq.enqueue`` span around sending one job, whose context is written into
    ``fields`` (before they are sent); the Redis round trip is its child."""
    from opentelemetry.trace import SpanKind  # optional extra jobq[otel]

    attributes = _attributes(queue, job_id, str(fields.get("func", "")), operation)
    with tracer.start_as_current_span(
        "jobq.enqueue", kind=SpanKind.PRODUCER, attributes=attributes
    ):
        context = _inject()
        if context is not None:
            fields[FIELD] = context
        yield


def created(tracer: Tracer, queue: str, jobs: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """One ``jobq.enqueue`` span per job of a bulk enqueue, each job's own context (the
    conventions' "create" spans), before the one round trip that sends them all."""
    for job_id, fields in jobs:
        with enqueue_span(tracer, queue, job_id, fields, "create"):
            pass


def _inject() -> str | None:
    """The current span's context as the ``trace`` field holds it (None: no valid span)."""
    # optional extra jobq[otel]
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    parent, state = carrier.get("traceparent"), carrier.get("tracestate")
    if not parent:
        return None
    return f"{parent} {state}" if state else parent


def _extract(raw: bytes | None) -> Context | None:
    """The producer's context from a job's ``trace`` field; None when absent or not
    well formed (the W3C propagator checks each header strictly)."""
    if not raw or len(raw) > MAX_FIELD_BYTES:
        return None
    try:
        parent, _, state = raw.decode("ascii").partition(" ")
    except UnicodeDecodeError:
        return None
    carrier = {"traceparent": parent, "tracestate": state} if state else {"traceparent": parent}
    from opentelemetry.trace import get_current_span  # optional extra jobq[otel]
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    context = TraceContextTextMapPropagator().extract(carrier)
    return context if get_current_span(context).get_span_context().is_valid else None


class TracingHook(BaseHook):
    """The worker's side: a ``jobq.run`` span around each job, current while the job
    runs (spans the job makes are its children), and one for a job whose executor
    died (timeout kill, crash), which ``after_job`` never saw."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self._running: tuple[Span, Token[Context]] | None = None

    def _start(self, job: Job, start_time: int | None = None) -> Span:
        from opentelemetry.trace import SpanKind  # optional extra jobq[otel]

        attributes = _attributes(job.origin, job.id, job.func_name, "process")
        attributes["jobq.job.attempt"] = job.attempts
        return self.tracer.start_span(
            "jobq.run",
            context=_extract(job.trace_context),
            kind=SpanKind.CONSUMER,
            attributes=attributes,
            start_time=start_time,
        )

    def before_job(self, job: Job) -> None:
        from opentelemetry import context, trace  # optional extra jobq[otel]

        self._end()  # a job left without after_job (a cold shutdown in-process)
        span = self._start(job)
        self._running = (span, context.attach(trace.set_span_in_context(span)))

    def after_job(self, job: Job, outcome: Outcome) -> None:
        self._end(None if outcome.ok else (outcome.reason or "failed", outcome.error))

    def _end(self, failure: tuple[str, str | None] | None = None) -> None:
        if self._running is None:
            return
        from opentelemetry import context  # optional extra jobq[otel]

        span, token = self._running
        self._running = None
        if failure is not None:
            _failed(span, *failure)
        span.end()
        context.detach(token)

    def lost_job(self, job: Job) -> None:
        started = job.started_at
        span = self._start(job, int(started.timestamp() * 1e9) if started else None)
        _failed(span, job.reason or "worker died", job.exc_info)
        span.end()

    def close(self) -> None:
        self._end(("shutdown", None))
        _flush()


def _failed(span: Span, reason: str, error: str | None) -> None:
    from opentelemetry.trace import Status, StatusCode  # optional extra jobq[otel]

    span.set_status(Status(StatusCode.ERROR, reason))
    span.set_attribute("error.type", reason)
    if error:
        span.add_event("exception", {"exception.type": reason, "exception.stacktrace": error})


def _flush() -> None:
    """Export what the provider still holds before an executor child exits (the SDK's
    batch processor sends from a thread that dies with the process)."""
    trace = sys.modules.get("opentelemetry.trace")
    flush = getattr(trace.get_tracer_provider(), "force_flush", None) if trace else None
    if flush is not None:
        flush(2000)


def worker_hooks() -> list[TracingHook]:
    """The hook a worker adds first, so that its span wraps every other hook; none
    when no tracer provider is set."""
    active = tracer()
    return [] if active is None else [TracingHook(active)]
