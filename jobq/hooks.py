"""Worker hooks: what wraps every job (database hygiene, job records, metrics).

Features that act around jobs are an ordered list of hooks rather than flags in
the worker loop, so the loop stays the same whatever is plugged in. Before-hooks
run in list order and after-hooks in reverse, so the first hook wraps all the
others, as middleware does. A hook that raises is logged and skipped: a broken
hook must never kill a worker nor lose a job's result. Control flow
(``BaseException`` that is not an ``Exception``: shutdown, ``KeyboardInterrupt``)
propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis

    from .job import Job
    from .worker.executor import Outcome

logger = logging.getLogger("jobq.worker")


class Hook(Protocol):
    """What a worker calls around jobs; subclass :class:`BaseHook` to pick a few."""

    def before_job(self, job: Job) -> None:
        """In the executor, just before the job's function is resolved and called."""

    def after_job(self, job: Job, outcome: Outcome) -> None:
        """In the executor, once the job returned or raised (before it is acknowledged)."""

    def lost_job(self, job: Job) -> None:
        """In the supervisor, after the executor running ``job`` died (killed at the job's
        timeout, or crashed), or after its upkeep reaped a job of a whole worker that
        died; the job was failed, retried or requeued, and ``job`` is as Redis holds it
        now. ``after_job`` never ran for it."""

    def idle(self) -> None:
        """The executor found no work and is about to wait for some."""

    def before_fork(self) -> None:
        """In the supervisor, before it forks an executor child."""

    def close(self) -> None:
        """The executor stops; flush whatever the hook still holds."""


class BaseHook:
    """A hook that does nothing; override the methods you need."""

    def before_job(self, job: Job) -> None:
        return None

    def after_job(self, job: Job, outcome: Outcome) -> None:
        return None

    def lost_job(self, job: Job) -> None:
        return None

    def idle(self) -> None:
        return None

    def before_fork(self) -> None:
        return None

    def close(self) -> None:
        return None


class Hooks:
    """An ordered list of hooks called as one; each failure is logged, never raised."""

    def __init__(self, hooks: Iterable[Hook] = ()) -> None:
        self.hooks: list[Hook] = list(hooks)

    def __len__(self) -> int:
        return len(self.hooks)

    def __repr__(self) -> str:
        return f"Hooks({[type(h).__name__ for h in self.hooks]})"

    def before_job(self, job: Job) -> None:
        for hook in self.hooks:
            _call(hook, "before_job", hook.before_job, job)

    def after_job(self, job: Job, outcome: Outcome) -> None:
        for hook in reversed(self.hooks):
            _call(hook, "after_job", hook.after_job, job, outcome)

    def lost_job(self, job: Job) -> None:
        for hook in reversed(self.hooks):
            _call(hook, "lost_job", hook.lost_job, job)

    def idle(self) -> None:
        for hook in self.hooks:
            _call(hook, "idle", hook.idle)

    def before_fork(self) -> None:
        for hook in self.hooks:
            _call(hook, "before_fork", hook.before_fork)

    def close(self) -> None:
        for hook in reversed(self.hooks):
            _call(hook, "close", hook.close)


def with_observers(hooks: Iterable[Hook]) -> list[Hook]:
    """``hooks`` and those the application turned on by setting up a tool before the
    worker started: a ``jobq.run`` span per job when it set an OpenTelemetry tracer
    provider (first, so that the span wraps the other hooks), Sentry reports when it
    initialised sentry-sdk itself (unless a Sentry hook is given). Nothing is imported
    for a tool the application did not import."""
    from . import sentry, tracing

    given = list(hooks)
    return [*tracing.worker_hooks(), *given, *sentry.worker_hooks(given)]


def _call(hook: Hook, name: str, method: Callable[..., None], *args: Any) -> None:
    try:
        method(*args)
    except Exception:
        job = args[0] if args else None
        logger.exception(
            "hook %s.%s failed%s; the worker goes on",
            type(hook).__name__,
            name,
            f" for job {job.id}" if job is not None and hasattr(job, "id") else "",
        )


# -- changes made outside a worker's run ---------------------------------------------


class ChangeListener(Protocol):
    """Told that jobs of ``queue`` changed outside a worker's own steps (cancel,
    delete, requeue, empty, enqueue now, progress and meta set by the job itself;
    whoever asked: admin, CLI, code); it reads their state from Redis, which is the
    truth (a job gone from Redis was deleted)."""

    def __call__(self, connection: redis.Redis, queue: str, job_ids: Sequence[str]) -> None: ...


#: listeners of this process, in the order they were added (the Django app adds the
#: one that updates ``JobRecord`` rows when it is ready)
_listeners: list[ChangeListener] = []


def add_change_listener(listener: ChangeListener) -> None:
    """Call ``listener`` after every change of jobs made outside a worker's run."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_change_listener(listener: ChangeListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def jobs_changed(connection: redis.Redis, queue: str, job_ids: Sequence[str]) -> None:
    """Tell the listeners; one that raises is logged, never stops the change's caller."""
    if not job_ids:
        return
    for listener in list(_listeners):
        try:
            listener(connection, queue, list(job_ids))
        except Exception:
            logger.exception(
                "change listener %r failed for %d job(s) of queue %s", listener, len(job_ids), queue
            )
