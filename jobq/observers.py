"""The hooks a worker adds of its own accord, for the tools the application set up.

Above :mod:`jobq.hooks`, :mod:`jobq.sentry` and :mod:`jobq.tracing`, which both
build on the hook interface."""

from __future__ import annotations

from collections.abc import Iterable

from . import sentry, tracing
from .hooks import Hook


def with_observers(hooks: Iterable[Hook]) -> list[Hook]:
    """``hooks`` and those the application turned on by setting up a tool before the
    worker started: a ``jobq.run`` span per job when it set an OpenTelemetry tracer
    provider (first, so that the span wraps the other hooks), Sentry reports when it
    initialised sentry-sdk itself (unless a Sentry hook is given). Nothing is imported
    for a tool the application did not import."""
    given = list(hooks)
    return [*tracing.worker_hooks(), *given, *sentry.worker_hooks(given)]
