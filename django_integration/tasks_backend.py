"""Django's Tasks framework on jobq: ``JobqBackend``.

Code written against the standard API (``@task``, ``.enqueue()``,
``get_result()``) runs on jobq's workers with one setting::

    TASKS = {
        "default": {
            "BACKEND": "jobq.django_integration.tasks_backend.JobqBackend",
            "QUEUES": ["default", "emails"],
            "OPTIONS": {"PRIORITY_QUEUES": {"default": {"high": 50, "default": -100}}},
        }
    }

How a task travels: ``enqueue`` sends a jobq job whose function is the task's
dotted path (``myapp.tasks.send_report``), through the queue of
:func:`~jobq.django_integration.queues.get_queue` (so it is recorded in
``JobRecord``, follows the transaction and shows in the admin like any job).
The worker imports that path and finds the ``Task``; tasks of this backend are
:class:`JobqTask` instances, whose ``__jobq_func__`` is what the worker calls: the
task's own function, wrapped to pass the ``TaskContext`` and to return JSON as the
framework does. The worker's allowlist (``JOBQ["ALLOWED_MODULES"]``) applies to
that path and to the module the function is defined in, as for any job: a task
gets no way around it.

``aenqueue`` and ``aget_result`` are native: they send and read through
:func:`~jobq.django_integration.queues.get_async_queue` on the event loop (the
job's row is written in Django's thread for sync work, as an async view's is),
no thread hop for Redis.

The framework's queue names are jobq queue names, unless ``PRIORITY_QUEUES`` maps
one onto several jobq queues by priority band (a worker serves its queues in
strict order: ``rqworker high default``). A task's ``priority`` is also the jobq
job's own priority (higher first within its queue, FIFO among equals), so priorities
work without bands too.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import logging
import math
import traceback
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from jobq import get_current_job, keys
from jobq.functions import FunctionResolver
from jobq.job import Job, new_job_id
from jobq.options import DEFAULT, EnqueueData, JobOptions
from jobq.retry import Retry
from jobq.status import JobStatus
from jobq.timeutil import seconds, to_ms

from . import conf
from ._tasks_framework import (
    BaseTaskBackend,
    InvalidTaskError,
    Task,
    TaskContext,
    TaskError,
    TaskResult,
    TaskResultDoesNotExist,
    TaskResultStatus,
    normalize_json,
    task_enqueued,
    task_finished,
    task_started,
)
from .queues import get_async_queue, get_queue

__all__ = ["JobqBackend", "JobqTask", "result_from_job"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: the job's ``meta`` key holding the task's backend, queue, priority and run_after
META_KEY = "django_task"
OPTION_KEYS = ("PRIORITY_QUEUES", "JOB_TIMEOUT", "RESULT_TTL", "RETRY")

#: jobq status -> the framework's (a job waiting for a retry is READY again)
STATUSES = {
    JobStatus.QUEUED: TaskResultStatus.READY,
    JobStatus.SCHEDULED: TaskResultStatus.READY,
    JobStatus.DEFERRED: TaskResultStatus.READY,
    JobStatus.STARTED: TaskResultStatus.RUNNING,
    JobStatus.FINISHED: TaskResultStatus.SUCCESSFUL,
    JobStatus.FAILED: TaskResultStatus.FAILED,
    JobStatus.STOPPED: TaskResultStatus.FAILED,
    JobStatus.CANCELED: TaskResultStatus.FAILED,
}
#: a failure's short reason that names no exception class -> the class that stands for it
REASON_CLASSES = {
    "timeout": "jobq.exceptions.JobTimeoutException",
    "function not allowed": "jobq.exceptions.FunctionNotAllowed",
    "function not importable": "builtins.ImportError",
    "bad payload": "jobq.exceptions.DeserializationError",
    "worker died": "jobq.exceptions.LeaseLost",
}


class JobqTask(Task[P, T]):
    """A ``Task`` a jobq worker can run (the ``task_class`` of :class:`JobqBackend`).

    The worker imports the task's dotted path and calls ``__jobq_func__``: the
    task's function, wrapped so that it gets its context and returns JSON."""

    __slots__ = ()

    @property
    def __jobq_func__(self) -> Callable[..., Any]:
        return _runner(self)


# -- options ------------------------------------------------------------------------


@dataclass(frozen=True)
class BackendOptions:
    """``TASKS[alias]["OPTIONS"]``, parsed."""

    #: framework queue -> ((lowest priority, jobq queue), ...), highest band first
    priority_queues: dict[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    #: the options of every job this backend sends (JOB_TIMEOUT, RESULT_TTL, RETRY)
    job_options: JobOptions = DEFAULT


def parse_options(alias: str, raw: object) -> BackendOptions:
    where = f"TASKS[{alias!r}]['OPTIONS']"
    if raw is None:
        return BackendOptions()
    raw = conf.options_dict(where, raw, OPTION_KEYS, "not an option of JobqBackend")
    job_options = JobOptions(
        timeout=_seconds(where, raw, "JOB_TIMEOUT"),
        result_ttl=_seconds(where, raw, "RESULT_TTL"),
        retry=_retry(where, raw.get("RETRY")),
    )
    return BackendOptions(_bands(where, raw.get("PRIORITY_QUEUES")), job_options)


def _bands(where: str, raw: object) -> dict[str, tuple[tuple[int, str], ...]]:
    if raw is None:
        return {}
    example = "{'default': {'high': 50, 'default': -100}}"
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"{where}['PRIORITY_QUEUES'] must be a dict like {example}")
    out: dict[str, tuple[tuple[int, str], ...]] = {}
    for name, bands in raw.items():
        ok = (
            isinstance(bands, Mapping)
            and bands
            and all(
                isinstance(q, str) and isinstance(p, int) and -100 <= p <= 100
                for q, p in bands.items()
            )
        )
        if not ok:
            raise ImproperlyConfigured(
                f"{where}['PRIORITY_QUEUES'][{name!r}] must map jobq queue names to the lowest "
                f"priority (-100..100) each takes, like {example}; got {bands!r}"
            )
        out[str(name)] = tuple(sorted(((p, q) for q, p in bands.items()), reverse=True))
    return out


def _seconds(where: str, raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    try:
        number = seconds(value, key)
    except (TypeError, ValueError):
        number = math.nan
    if number is not None and not number > 0:
        raise ImproperlyConfigured(
            f"{where}[{key!r}] must be seconds > 0 (a number, or a string such as '15m'), "
            f"got {value!r}"
        )
    return number


def _retry(where: str, raw: object) -> Retry | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"MAX", "INTERVAL"}:
        raise ImproperlyConfigured(
            f"{where}['RETRY'] must be a dict like {{'MAX': 3, 'INTERVAL': [10, 30, 60]}}, "
            f"got {raw!r}"
        )
    try:
        return Retry(max=raw.get("MAX"), interval=raw.get("INTERVAL", 0))  # type: ignore[arg-type, unused-ignore]
    except ValueError as e:
        raise ImproperlyConfigured(f"{where}['RETRY']: {e}") from e


# -- the backend --------------------------------------------------------------------


class JobqBackend(BaseTaskBackend):
    """Runs the framework's tasks as jobq jobs; see the module's docstring."""

    task_class = JobqTask

    supports_defer = True  # run_after: enqueue_at, promoted by the workers
    supports_async_task = True  # async def tasks run on the worker child's event loop
    supports_get_result = True  # results live in Redis for the job's result_ttl
    #: jobq queues order jobs by priority (bands in PRIORITY_QUEUES come on top)
    supports_priority = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.config = parse_options(alias, params.get("OPTIONS"))

    # -- where tasks go

    def jobq_queue(self, queue_name: str, priority: int = 0) -> str:
        """The jobq queue a task of ``queue_name`` with ``priority`` is sent to."""
        bands = self.config.priority_queues.get(queue_name)
        if not bands:
            return queue_name
        return next((name for lowest, name in bands if priority >= lowest), bands[-1][1])

    def jobq_queues(self) -> list[str]:
        """Every jobq queue this backend may send to (all of ``RQ_QUEUES`` when the
        backend's ``QUEUES`` is empty, which lets tasks name any queue)."""
        names: list[str] = []
        framework = sorted(self.queues) if self.queues else list(conf.queues())
        for queue_name in framework:
            bands = self.config.priority_queues.get(queue_name)
            if bands:
                names.extend(name for _, name in bands)
            else:
                names.append(queue_name)
        return list(dict.fromkeys(names))

    # -- the framework's API

    def validate_task(self, task: Task[Any, Any]) -> None:
        super().validate_task(task)
        allowed = conf.options().allowed_modules
        if allowed is not None and not FunctionResolver(allowed).is_allowed(task.module_path):
            raise InvalidTaskError(
                f"Task {task.module_path} is not in settings.JOBQ['ALLOWED_MODULES'] "
                f"({', '.join(allowed)}): jobq workers would refuse to run it."
            )

    def enqueue(
        self,
        task: Task[P, T],
        args: P.args,  # type: ignore[valid-type, unused-ignore]
        kwargs: P.kwargs,  # type: ignore[valid-type, unused-ignore]
    ) -> TaskResult[T]:
        send = self._sending(task, args, kwargs)
        queue = get_queue(send.queue)
        job = queue.enqueue_data(send.data, due=send.due)
        object.__setattr__(send.result, "enqueued_at", job.created_at or timezone.now())
        task_enqueued.send(type(self), task_result=send.result)
        if not queue.is_async:  # "ASYNC": False ran it already, as ImmediateBackend would
            job.refresh()
            return result_from_job(job, task, self.alias)
        return send.result

    async def aenqueue(
        self,
        task: Task[P, T],
        args: P.args,  # type: ignore[valid-type, unused-ignore]
        kwargs: P.kwargs,  # type: ignore[valid-type, unused-ignore]
    ) -> TaskResult[T]:
        """:meth:`enqueue` on the event loop: the send is an :class:`AsyncQueue`'s
        (its row written as :func:`get_async_queue` does). A queue that runs jobs
        inline (``ASYNC: False``) runs the task in Django's thread for sync work."""
        send = self._sending(task, args, kwargs)
        if not conf.queue(send.queue).is_async:
            return await sync_to_async(self.enqueue)(task, args, kwargs)
        job = await get_async_queue(send.queue).enqueue_data(send.data, due=send.due)
        object.__setattr__(send.result, "enqueued_at", job.created_at or timezone.now())
        if hasattr(task_enqueued, "asend"):
            await task_enqueued.asend(type(self), task_result=send.result)
        else:  # Django < 5.0 has no Signal.asend: its receivers run in Django's thread
            await sync_to_async(task_enqueued.send)(type(self), task_result=send.result)
        return send.result

    def _sending(self, task: Task[P, T], args: Any, kwargs: Any) -> _Sending[T]:
        """What :meth:`enqueue` and :meth:`aenqueue` send: checked, before any I/O."""
        self.validate_task(task)
        _check_importable(task, self.alias)
        # the framework's own check: arguments must be JSON (its TypeError otherwise)
        result: TaskResult[T] = TaskResult(
            task=task,
            id=new_job_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            finished_at=None,
            last_attempted_at=None,
            args=normalize_json(args),
            kwargs=normalize_json(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        options = self.config.job_options.merged(self._task_options(task, result.id))
        data = EnqueueData(task.module_path, list(result.args), dict(result.kwargs), options)
        due = 0 if task.run_after is None else to_ms(task.run_after)
        return _Sending(result, self.jobq_queue(task.queue_name, task.priority), data, due)

    def _task_options(self, task: Task[Any, Any], job_id: str) -> dict[str, Any]:
        enqueued = {
            "backend": self.alias,
            "queue_name": task.queue_name,
            "priority": task.priority,
            "run_after": task.run_after,
        }
        options: dict[str, Any] = {"job_id": job_id, "meta": {META_KEY: enqueued}}
        if task.priority:
            options["priority"] = task.priority
        return options

    def get_result(self, result_id: str) -> TaskResult[Any]:
        for name in self._searched(result_id):
            job = get_queue(name).fetch_job(result_id)
            if job is not None:
                return result_from_job(job, _task_at(job.func_name, result_id), self.alias)
        raise TaskResultDoesNotExist(result_id)

    async def aget_result(self, result_id: str) -> TaskResult[Any]:
        """:meth:`get_result` on the event loop (``Job.afetch``, one round trip a queue)."""
        for name in self._searched(result_id):
            job = await get_async_queue(name).fetch_job(result_id)
            if job is not None:
                return result_from_job(job, _task_at(job.func_name, result_id), self.alias)
        raise TaskResultDoesNotExist(result_id)

    def _searched(self, result_id: str) -> list[str]:
        """The configured queues a result of this backend may be in."""
        try:
            keys.check_id(result_id, "result id")
        except (TypeError, ValueError):
            raise TaskResultDoesNotExist(result_id) from None
        configured = conf.queues()
        return [name for name in self.jobq_queues() if name in configured]

    def check(self, **kwargs: Any) -> Iterable[checks.CheckMessage]:
        yield from super().check(**kwargs)
        try:
            configured = conf.queues()
        except ImproperlyConfigured:
            return  # reported by jobq.E001
        for name in self.jobq_queues():
            if name not in configured:
                yield checks.Error(
                    f"TASKS[{self.alias!r}] sends tasks to queue {name!r}, which "
                    "settings.RQ_QUEUES does not define",
                    hint=f"add RQ_QUEUES[{name!r}], or take {name!r} out of the backend's "
                    "QUEUES and PRIORITY_QUEUES",
                    id="jobq.E010",
                )


@dataclass(frozen=True)
class _Sending(Generic[T]):
    """A task's enqueue, checked and ready to send: its result and job."""

    result: TaskResult[T]
    queue: str
    data: EnqueueData
    due: int


def _check_importable(task: Task[Any, Any], alias: str) -> None:
    """A worker finds the task by its dotted path: that path must lead back to it."""
    try:
        found = import_string(task.module_path)
    except ImportError:
        found = None
    if not isinstance(found, JobqTask) or found.func is not task.func:
        raise InvalidTaskError(
            f"Task {task.module_path} cannot be run by a jobq worker: its dotted path must "
            f"name the task itself, made with @task(backend={alias!r}) on a module-level "
            "function and kept under the function's own name."
        )


def _task_at(path: str, result_id: str) -> Task[Any, Any]:
    """The task a job runs, imported only from allowed modules."""
    allowed = conf.options().allowed_modules
    if allowed is not None and not FunctionResolver(allowed).is_allowed(path):
        raise TaskResultDoesNotExist(
            f"{result_id}: its function {path} is not in settings.JOBQ['ALLOWED_MODULES']"
        )
    try:
        found = import_string(path)
    except ImportError as e:
        raise TaskResultDoesNotExist(f"{result_id}: cannot import its task {path}: {e}") from e
    if not isinstance(found, Task):
        raise TaskResultDoesNotExist(f"{result_id} is a jobq job of {path}, which is not a task")
    return found


# -- jobq job -> TaskResult ---------------------------------------------------------


def result_from_job(job: Job, task: Task[Any, Any], alias: str) -> TaskResult[Any]:
    """The framework's view of a jobq job: status, timestamps, attempts, return
    value or errors (jobq keeps the traceback of the last failed attempt)."""
    status = job.status
    mapped = STATUSES.get(status, TaskResultStatus.READY) if status else TaskResultStatus.READY
    enqueued = job.meta.get(META_KEY)
    enqueued = enqueued if isinstance(enqueued, dict) else {}
    result: TaskResult[Any] = TaskResult(
        task=task.using(
            priority=enqueued.get("priority"),
            queue_name=enqueued.get("queue_name"),
            run_after=enqueued.get("run_after"),
        ),
        id=job.id,
        status=mapped,
        enqueued_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.ended_at if status is not None and status.is_terminal else None,
        last_attempted_at=job.started_at,
        args=job.args,
        kwargs=job.kwargs,
        backend=enqueued.get("backend") or alias,
        errors=_errors(job),
        # jobq counts attempts and keeps the name of the last worker only
        worker_ids=[job.worker_name or ""] * job.attempts,
    )
    if mapped == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", job.return_value())
    return result


def _errors(job: Job) -> list[TaskError]:
    text = job.exc_info
    if not text:
        return []
    return [TaskError(exception_class_path=_exception_path(job.reason, text), traceback=text)]


def _exception_path(reason: str | None, text: str) -> str:
    """The dotted path of the exception class of a failure, from jobq's short reason
    (the class path, or a word for failures outside the function) or the traceback."""
    reason = reason or ""
    if reason in REASON_CLASSES:
        return REASON_CLASSES[reason]
    name = reason or text.strip().splitlines()[-1].partition(":")[0].strip()
    if "." in name and " " not in name:
        return name
    if isinstance(getattr(builtins, name, None), type):
        return f"builtins.{name}"
    return "builtins.Exception"


# -- in the worker ------------------------------------------------------------------


def _runner(task: Task[Any, Any]) -> Callable[..., Any]:
    """What a worker calls for ``task``: its function, under the function's own name
    and module (which the worker's allowlist checks), given the context when the task
    takes it; the return value goes through the framework's JSON normalisation."""
    func = task.func

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        def run_coroutine(*args: Any, **kwargs: Any) -> Any:
            execution = _Execution(task)
            try:
                coroutine = func(*execution.arguments(args), **kwargs)
            except Exception as exc:
                execution.finished(exc=exc)
                raise
            return execution.finish_async(coroutine)  # the worker runs it on its loop

        return run_coroutine

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        execution = _Execution(task)
        try:
            value = normalize_json(func(*execution.arguments(args), **kwargs))
        except Exception as exc:
            execution.finished(exc=exc)
            raise
        execution.finished(value=value)
        return value

    return run


class _Execution:
    """One run of a task in a worker: the ``TaskResult`` its context and the
    framework's signals see, built from the current job only when needed."""

    def __init__(self, task: Task[Any, Any]) -> None:
        self.task = task
        self.sender = type(task.get_backend())
        self._result: TaskResult[Any] | None = None
        if task_started.has_listeners(self.sender):
            task_started.send(self.sender, task_result=self.result())

    def result(self) -> TaskResult[Any]:
        if self._result is None:
            job = get_current_job()
            if job is None:  # called outside a worker
                self._result = TaskResult(
                    task=self.task, id=new_job_id(), status=TaskResultStatus.RUNNING,
                    enqueued_at=None, started_at=timezone.now(), finished_at=None,
                    last_attempted_at=timezone.now(), args=[], kwargs={},
                    backend=self.task.backend, errors=[], worker_ids=[],
                )  # fmt: skip
            else:
                self._result = result_from_job(job, self.task, self.task.backend)
                object.__setattr__(self._result, "status", TaskResultStatus.RUNNING)
        return self._result

    def arguments(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.task.takes_context:
            return (TaskContext(task_result=self.result()), *args)
        return args

    def finished(self, *, value: Any = None, exc: BaseException | None = None) -> None:
        if not task_finished.has_listeners(self.sender):
            return
        result = self.result()
        now = timezone.now()
        object.__setattr__(result, "finished_at", now)
        if exc is None:
            object.__setattr__(result, "status", TaskResultStatus.SUCCESSFUL)
            object.__setattr__(result, "_return_value", value)
        else:
            object.__setattr__(result, "status", TaskResultStatus.FAILED)
            path = f"{type(exc).__module__}.{type(exc).__qualname__}"
            text = "".join(traceback.format_exception(exc))
            result.errors.append(TaskError(exception_class_path=path, traceback=text))
        task_finished.send(self.sender, task_result=result)

    async def finish_async(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        try:
            value = normalize_json(await coroutine)
        except Exception as exc:
            await sync_to_async(self.finished)(exc=exc)
            raise
        await sync_to_async(self.finished)(value=value)
        return value
