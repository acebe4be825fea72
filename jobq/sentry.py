"""Report failed jobs to Sentry (``jobq worker --sentry-dsn``, ``rqworker --sentry-dsn``).

Needs the optional extra: ``pip install 'jobq[sentry]'``. Each job that fails
(raised, timed out, or its executor died) becomes one Sentry event, at level
error, tagged with the job's id, function and queue, with its arguments and
traceback in the ``job`` context.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .hooks import BaseHook

if TYPE_CHECKING:
    from .job import Job
    from .worker.executor import Outcome


def init(dsn: str, **options: Any) -> SentryHook:
    """Start the Sentry client for this process and return the hook a worker takes."""
    try:
        import sentry_sdk
    except ImportError as e:
        raise RuntimeError(
            "--sentry-dsn needs the Sentry client: pip install 'jobq[sentry]'"
        ) from e
    sentry_sdk.init(dsn=dsn, **options)
    return SentryHook()


class SentryHook(BaseHook):
    def after_job(self, job: Job, outcome: Outcome) -> None:
        if not outcome.ok:
            report(job, outcome.reason or "failed", outcome.error)

    def lost_job(self, job: Job) -> None:
        report(job, job.reason or "worker died", job.exc_info)

    def close(self) -> None:
        import sentry_sdk

        sentry_sdk.flush(timeout=2)


def report(job: Job, reason: str, traceback: str | None) -> None:
    import sentry_sdk

    with sentry_sdk.new_scope() as scope:
        scope.set_tag("job_id", job.id)
        scope.set_tag("job_func", job.func_name)
        scope.set_tag("queue", job.origin)
        scope.set_context("job", _job_context(job, traceback))
        scope.fingerprint = ["jobq", job.func_name, reason]
        sentry_sdk.capture_message(f"job {job.func_name} failed: {reason}", level="error")


def _job_context(job: Job, traceback: str | None) -> dict[str, Any]:
    context: dict[str, Any] = {"id": job.id, "func": job.func_name, "queue": job.origin}
    try:
        context["args"], context["kwargs"] = job.args, job.kwargs
    except Exception:  # an unreadable payload still gets its failure reported
        context["args"] = context["kwargs"] = "<unreadable>"
    context["attempt"] = job.attempts
    context["traceback"] = traceback or ""
    return context
