"""Report failed jobs to Sentry: ``jobq worker --sentry-dsn``, ``rqworker --sentry-dsn``,
or a worker started where the application already called ``sentry_sdk.init``.

Needs the optional extra: ``pip install 'jobq[sentry]'``. Each job that fails
(raised, timed out, or its executor died) becomes one Sentry event, at level
error, tagged with the job's id, function, queue and attempt, with its arguments and
traceback in the ``job`` context.

Argument values are application data (addresses, names, tokens) going to a third
party, so they are sent only when asked: ``send_args=True`` (or ``False``) given to
:func:`init` or :class:`SentryHook`, else ``JOBQ_SENTRY_SEND_ARGS=1`` (or ``0``).
Otherwise the event carries each argument's type and each keyword's name, never a
value. ``redact``, a callable ``(args, kwargs) -> (args, kwargs)``, picks what is sent
instead of the values. The traceback is sent as it is (an exception's message may
quote an argument).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .exceptions import ConfigurationError
from .hooks import BaseHook

if TYPE_CHECKING:
    from .hooks import Hook
    from .job import Job
    from .worker.executor import Outcome

#: what ``redact`` receives and returns: positional and keyword arguments
Arguments = tuple[list[Any], dict[str, Any]]
Redact = Callable[[list[Any], dict[str, Any]], Arguments]
SEND_ARGS_ENV = "JOBQ_SENTRY_SEND_ARGS"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def init(
    dsn: str, *, send_args: bool | None = None, redact: Redact | None = None, **options: Any
) -> SentryHook:
    """Start the Sentry client for this process and return the hook a worker takes."""
    try:
        import sentry_sdk  # optional extra jobq[sentry]
    except ImportError as e:
        raise RuntimeError(
            "--sentry-dsn needs the Sentry client: pip install 'jobq[sentry]'"
        ) from e
    sentry_sdk.init(dsn=dsn, **options)
    return SentryHook(send_args=send_args, redact=redact)


def worker_hooks(given: Iterable[Hook]) -> list[SentryHook]:
    """The hook for a worker started where the application initialised sentry-sdk itself
    (a client that sends somewhere); none when a :class:`SentryHook` is given already."""
    sdk = sys.modules.get("sentry_sdk")
    if sdk is None or any(isinstance(h, SentryHook) for h in given):
        return []
    client = sdk.get_client()
    if not client.is_active() or getattr(client, "transport", None) is None:
        return []
    return [SentryHook()]


def send_args_setting(send_args: bool | None = None) -> bool:
    """Whether argument values go to Sentry: ``send_args``, else the environment, else
    not (sentry-sdk's ``send_default_pii`` is not read: it is being replaced, and job
    arguments are not what it describes)."""
    if send_args is not None:
        return send_args
    raw = os.environ.get(SEND_ARGS_ENV, "")
    value = raw.strip().lower()
    if value not in _TRUE + _FALSE:
        raise ConfigurationError(f"{SEND_ARGS_ENV}={raw!r}: use 1 to send job arguments, 0 not to")
    return value in _TRUE


class SentryHook(BaseHook):
    def __init__(self, send_args: bool | None = None, redact: Redact | None = None) -> None:
        self.send_args = send_args_setting(send_args)
        self.redact = redact

    def after_job(self, job: Job, outcome: Outcome) -> None:
        if not outcome.ok and outcome.retry is None:  # a returned Retry raised nothing
            self.report(job, outcome.reason or "failed", outcome.error)

    def lost_job(self, job: Job) -> None:
        self.report(job, job.reason or "worker died", job.exc_info)

    def close(self) -> None:
        import sentry_sdk  # optional extra jobq[sentry]

        sentry_sdk.flush(timeout=2)

    def report(self, job: Job, reason: str, traceback: str | None) -> None:
        import sentry_sdk  # optional extra jobq[sentry]

        with sentry_sdk.new_scope() as scope:
            scope.set_tag("job_id", job.id)
            scope.set_tag("job_func", job.func_name)
            scope.set_tag("queue", job.origin)
            scope.set_tag("attempt", str(job.attempts))
            scope.set_context("job", self._context(job, traceback))
            scope.fingerprint = ["jobq", job.func_name, reason]
            sentry_sdk.capture_message(f"job {job.func_name} failed: {reason}", level="error")

    def _context(self, job: Job, traceback: str | None) -> dict[str, Any]:
        context: dict[str, Any] = {"id": job.id, "func": job.func_name, "queue": job.origin}
        try:
            args, kwargs = job.args, job.kwargs
        except Exception:  # an unreadable payload still gets its failure reported
            context["args"] = context["kwargs"] = "<unreadable>"
        else:
            context["args"], context["kwargs"] = self._arguments(list(args), dict(kwargs))
        context["attempt"] = job.attempts
        context["max_attempts"] = job.max_attempts
        context["traceback"] = traceback or ""
        return context

    def _arguments(self, args: list[Any], kwargs: dict[str, Any]) -> Arguments:
        if self.redact is not None:
            return self.redact(args, kwargs)
        if self.send_args:
            return args, kwargs
        return [_shape(a) for a in args], {k: _shape(v) for k, v in kwargs.items()}


def _shape(value: Any) -> str:
    """What is sent in place of a value: its type only."""
    return f"<{type(value).__name__}>"
