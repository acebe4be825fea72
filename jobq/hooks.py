"""Worker hooks: what wraps every job (database hygiene, job records, metrics).

Features that act around jobs are an ordered list of hooks rather than flags in
the worker loop, so the loop stays the same whatever is plugged in. Before-hooks
run in list order and after-hooks in reverse, so the first hook wraps all the
others, as middleware does. A hook that raises is logged and skipped: a broken
hook must never kill a worker nor lose a job's result. Control flow
(``BaseException`` that is not an ``Exception``: shutdown, ``KeyboardInterrupt``)
propagates.

A job's life in a worker, as the hooks see it (docs/architecture.md draws it)::

    dequeued(jobs)        the batch was taken, each job with a lease
    before_job(job)       in the executor, before the function is called
    after_job(job, o)     the function returned or raised; nothing is stored yet
    after_ack(job, o, a)  the finish or fail step answered: ``a`` says what landed
      on_failure(job, o)    ... the job failed for good
      on_retry(job, o)      ... the job will run again
      late_result(job, o)   ... the lease was lost meanwhile: nothing was stored
    lost_job(job)         the executor or the whole worker died; reaped

Only ``after_ack`` and what follows it say what Redis holds: a hook that keeps a
record of jobs writes there. Methods a hook does not define are not called.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis

    from .async_queue import AsyncQueue
    from .job import AsyncJob, Job
    from .queue import PreparedJob, Queue
    from .worker.executor import Outcome

logger = logging.getLogger("jobq.worker")


class Acked(enum.Enum):
    """What an acknowledgement (the finish or fail step) did with a job's outcome."""

    FINISHED = "finished"
    FAILED = "failed"
    RETRIED = "retried"
    #: the worker's lease was gone (reaped, canceled, deleted): nothing was stored
    LEASE_LOST = "lease_lost"


class Hook(Protocol):
    """What a worker calls around jobs; subclass :class:`BaseHook` to pick a few."""

    def before_job(self, job: Job) -> None:
        """In the executor, just before the job's function is resolved and called."""

    def after_job(self, job: Job, outcome: Outcome) -> None:
        """In the executor, once the job returned or raised (before it is acknowledged)."""

    def dequeued(self, jobs: Sequence[Job]) -> None:
        """In the executor, after it took ``jobs`` (leased to it) from one queue."""

    def after_ack(self, job: Job, outcome: Outcome, acked: Acked) -> None:
        """In the executor, once the acknowledgement of ``outcome`` landed in Redis
        (acks are batched: a few jobs later, at the latest when the worker idles)."""

    def on_failure(self, job: Job, outcome: Outcome) -> None:
        """After ``after_ack``: the job failed for good (moved to ``failed``)."""

    def on_retry(self, job: Job, outcome: Outcome) -> None:
        """After ``after_ack``: the job failed and will run again (queued or scheduled)."""

    def late_result(self, job: Job, outcome: Outcome) -> None:
        """After ``after_ack``: the lease was lost before the outcome landed (the job
        was reaped and may run elsewhere, or was canceled or deleted); nothing of this
        run was stored."""

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

    def dequeued(self, jobs: Sequence[Job]) -> None:
        return None

    def after_ack(self, job: Job, outcome: Outcome, acked: Acked) -> None:
        return None

    def on_failure(self, job: Job, outcome: Outcome) -> None:
        return None

    def on_retry(self, job: Job, outcome: Outcome) -> None:
        return None

    def late_result(self, job: Job, outcome: Outcome) -> None:
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
        self._methods: dict[tuple[str, bool, tuple[int, ...]], list[Any]] = {}

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

    def dequeued(self, jobs: Sequence[Job]) -> None:
        for hook, method in self._defined("dequeued"):
            _call(hook, "dequeued", method, jobs)

    def after_ack(self, job: Job, outcome: Outcome, acked: Acked) -> None:
        """``after_ack`` of every hook, then the one of on_failure, on_retry and
        late_result that ``acked`` calls for, each in reverse order."""
        for hook, method in self._defined("after_ack", reverse=True):
            _call(hook, "after_ack", method, job, outcome, acked)
        then = _AFTER_ACK.get(acked)
        if then is not None:
            for hook, method in self._defined(then, reverse=True):
                _call(hook, then, method, job, outcome)

    def _defined(self, name: str, reverse: bool = False) -> list[tuple[Hook, Callable[..., None]]]:
        """The hooks that define ``name`` (a hook written against the older protocol
        need not): hook and bound method, found once per name and list of hooks."""
        key = (name, reverse, tuple(map(id, self.hooks)))
        found = self._methods.get(key)
        if found is None:
            hooks = reversed(self.hooks) if reverse else self.hooks
            found = [(h, m) for h in hooks if (m := _own(h, name)) is not None]
            self._methods[key] = found
        return found

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


#: the hook method called after after_ack, by what the acknowledgement did
_AFTER_ACK = {
    Acked.FAILED: "on_failure",
    Acked.RETRIED: "on_retry",
    Acked.LEASE_LOST: "late_result",
}


def _own(hook: Hook, name: str) -> Callable[..., None] | None:
    """``hook``'s method ``name``, unless it is missing or BaseHook's (which does nothing)."""
    method = getattr(hook, name, None)
    if method is None or getattr(type(hook), name, None) is getattr(BaseHook, name):
        return None
    return method  # type: ignore[no-any-return]


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


# -- sending new jobs ------------------------------------------------------------------


class SendHook(Protocol):
    """Wraps every send of new jobs to Redis (``Queue.enqueue*``), as middleware: the
    first hook of ``Queue(send_hooks=[...])`` is outermost. ``send()`` sends ``jobs``
    (through the hooks after this one) and returns their handles; a hook may also
    hold the send back and return the handles at once (``queue.make_job``), as
    Django's commit deferral does. ``pipeline``: the caller's, or None. Unlike worker
    hooks, an exception of a send hook reaches the caller of ``enqueue``: it is part
    of the enqueue. A queue without send hooks pays nothing for them."""

    def around_send(
        self,
        queue: Queue,
        jobs: Sequence[PreparedJob],
        send: Callable[[], list[Job]],
        pipeline: Any,
    ) -> list[Job]: ...


class BaseSendHook:
    """A send hook with a before and an after step; override those."""

    def around_send(
        self,
        queue: Queue,
        jobs: Sequence[PreparedJob],
        send: Callable[[], list[Job]],
        pipeline: Any,
    ) -> list[Job]:
        self.before_send(queue, jobs)
        sent = send()
        self.after_send(queue, sent)
        return sent

    def before_send(self, queue: Queue, jobs: Sequence[PreparedJob]) -> None:
        """Before the jobs go to Redis (they are validated, serialized, given ids)."""

    def after_send(self, queue: Queue, jobs: Sequence[Job]) -> None:
        """Once Redis took them (or, with a pipeline, once they were added to it)."""


def send_through(
    queue: Queue,
    hooks: Sequence[SendHook],
    jobs: Sequence[PreparedJob],
    send: Callable[[], list[Job]],
    pipeline: Any,
) -> list[Job]:
    """``send`` wrapped by ``hooks``, the first outermost."""
    for hook in reversed(hooks):
        send = functools.partial(hook.around_send, queue, jobs, send, pipeline)
    return send()


class AsyncSendHook(Protocol):
    """:class:`SendHook` for :class:`jobq.AsyncQueue`: ``await send()`` sends ``jobs``
    (through the hooks after this one) and returns their handles. The hook may
    await its own I/O (a database row), never block the event loop; the queue's
    ``plan`` is the sync :class:`Queue` that prepared the jobs."""

    async def around_asend(
        self,
        queue: AsyncQueue,
        jobs: Sequence[PreparedJob],
        send: Callable[[], Awaitable[list[AsyncJob]]],
    ) -> list[AsyncJob]: ...


async def asend_through(
    queue: AsyncQueue,
    hooks: Sequence[AsyncSendHook],
    jobs: Sequence[PreparedJob],
    send: Callable[[], Awaitable[list[AsyncJob]]],
) -> list[AsyncJob]:
    """``send`` wrapped by ``hooks``, the first outermost (as :func:`send_through`)."""
    for hook in reversed(hooks):
        send = functools.partial(hook.around_asend, queue, jobs, send)
    return await send()


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
