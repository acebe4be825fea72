"""Runs one job in the current process and says how it ended.

This is the only place that catches ``BaseException``: whatever a job does, the
worker records it and goes on; ``KeyboardInterrupt``/``SystemExit`` raised by the
job itself are recorded and the loop decides what to do next.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..context import reset_current_job, set_current_job
from ..exceptions import (
    DeserializationError,
    FunctionNotAllowed,
    JobTimeoutException,
    ResultTooLarge,
    SignatureError,
)
from ..functions import FunctionResolver
from ..hooks import Hooks
from ..job import Job
from ..retry import Retry
from ..signing import Keyring
from ..status import JobStatus

logger = logging.getLogger("jobq.worker")


@dataclass
class Outcome:
    job: Job
    ok: bool
    #: serialized return value when ok
    result: bytes = b""
    #: traceback text and short reason when not ok
    error: str = ""
    reason: str = ""
    #: the Retry the job function returned (rq 2.x): not ok, and not failed by it
    retry: Retry | None = None


class ShutdownRequested(BaseException):
    """Cold shutdown of an in-process worker: leave the job, hand it back."""


class _Alarm:
    """Job timeouts by SIGALRM, in the main thread only; the supervisor kills the
    child as a backstop for code that does not return to Python. The handler is
    installed once per executor, not per job (``signal.signal`` costs more than a
    short job), and the handler found before is put back by :meth:`close`."""

    def __init__(self) -> None:
        self.seconds: float | None = None
        self._previous: Any = None
        self._installed = False

    def arm(self, seconds: float | None) -> bool:
        if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread():
            return False
        if not self._installed:
            self._previous = signal.signal(signal.SIGALRM, self._fire)
            self._installed = True
        self.seconds = seconds
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return True

    def disarm(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.seconds = None

    def _fire(self, signum: int, frame: Any) -> None:
        if self.seconds is not None:  # not a late alarm of a job that already ended
            raise JobTimeoutException(
                f"Task exceeded maximum timeout value ({self.seconds:g} seconds)"
            )

    def close(self) -> None:
        if self._installed:
            previous = self._previous if self._previous is not None else signal.SIG_DFL
            signal.signal(signal.SIGALRM, previous)
            self._installed = False


class _Deadline:
    def __init__(self, alarm: _Alarm, seconds: float | None) -> None:
        self.alarm, self.seconds, self.armed = alarm, seconds, False

    def __enter__(self) -> _Deadline:
        self.armed = self.alarm.arm(self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            self.alarm.disarm()


def _format(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    exc.__traceback__ = None  # do not keep frames (and their locals) alive
    return text


def _reason(exc: BaseException) -> str:
    if isinstance(exc, JobTimeoutException):
        return "timeout"
    if isinstance(exc, SignatureError):
        return exc.reason
    if isinstance(exc, FunctionNotAllowed):
        return "function not allowed"
    if isinstance(exc, ImportError):
        return "function not importable"
    if isinstance(exc, DeserializationError):
        return "bad payload"
    if isinstance(exc, ResultTooLarge):
        return "result too large"
    return f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")


class Executor:
    """Calls job functions (sync or async) with timeouts and callbacks."""

    def __init__(
        self,
        resolver: FunctionResolver,
        hooks: Hooks | None = None,
        max_result_bytes: int | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.resolver = resolver
        #: results larger than Redis takes fail with their cause (None: no check)
        self.max_result_bytes = max_result_bytes
        self.hooks = hooks if hooks is not None else Hooks()
        #: the worker's secret: every job's MAC is checked before anything is loaded
        self.keyring = keyring
        self._runner: asyncio.Runner | None = None
        self._alarm = _Alarm()
        #: whether each function run so far is a coroutine function
        self._is_async: dict[Callable[..., Any], bool] = {}

    def close(self) -> None:
        self._alarm.close()
        self.hooks.close()
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def _call(self, func: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
        try:
            is_async = self._is_async[func]
        except (KeyError, TypeError):  # not seen yet, or an unhashable callable
            is_async = inspect.iscoroutinefunction(func)
            with contextlib.suppress(TypeError):
                self._is_async[func] = is_async
        if is_async:
            if self._runner is None:
                self._runner = asyncio.Runner()
            # the job's own context: the runner's would keep the first job's current job
            return self._runner.run(func(*args, **kwargs), context=contextvars.copy_context())
        result = func(*args, **kwargs)
        if inspect.isawaitable(result):
            if self._runner is None:
                self._runner = asyncio.Runner()
            return self._runner.run(_await(result), context=contextvars.copy_context())
        return result

    def perform(self, job: Job) -> Outcome:
        """Run one job between the hooks' before and after calls. A job whose MAC
        does not hold is refused first: hooks see it, but nothing of it is imported,
        unpickled or called (not even its callbacks)."""
        refused = self._refuse(job)
        self.hooks.before_job(job)
        outcome = refused or self._perform(job)
        self.hooks.after_job(job, outcome)
        return outcome

    def _refuse(self, job: Job) -> Outcome | None:
        try:
            job.verify(self.keyring)
        except SignatureError as exc:
            logger.warning("job %s (%s) refused: %s", job.id, job.func_name, exc.reason)
            return Outcome(job, False, error=f"{type(exc).__name__}: {exc}\n", reason=exc.reason)
        return None

    def _perform(self, job: Job) -> Outcome:
        token = set_current_job(job)
        try:
            if job.refused is not None:  # its hash changed under a hook's refresh
                raise job.refused
            func = self.resolver.resolve(job.func_name)
            args, kwargs = job.args, job.kwargs
            with _Deadline(self._alarm, job.timeout):
                value = self._call(func, args, kwargs)
            if isinstance(value, Retry):
                return _retry_asked(job, value)
            result = job.serializer.dumps(value)
            if self.max_result_bytes is not None and len(result) > self.max_result_bytes:
                raise ResultTooLarge(len(result), self.max_result_bytes)
        except ShutdownRequested:
            raise
        except BaseException as exc:
            ends = job.attempts >= job.max_attempts  # no retry follows
            with _showing(job, JobStatus.FAILED if ends else None):
                self._callback(job, "on_failure", type(exc), exc, exc.__traceback__)
            outcome = Outcome(job, False, error=_format(exc), reason=_reason(exc))
            if job.attempts >= job.max_attempts:  # no retry follows: the job has failed
                _send_webhooks(job, "failed", outcome.error)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                logger.warning("job %s (%s) raised %s", job.id, job.func_name, type(exc).__name__)
            return outcome
        finally:
            reset_current_job(token)
        try:
            with _showing(job, JobStatus.FINISHED):
                self._run_callback(job, "on_success", value)
        except Exception as exc:  # as in rq: a failing success callback fails the job
            logger.exception("on_success callback of job %s failed", job.id)
            failed = Outcome(job, False, error=_format(exc), reason="on_success callback failed")
            _send_webhooks(job, "failed", failed.error)
            return failed
        _send_webhooks(job, "finished", None)
        return Outcome(job, True, result=result)

    def _run_callback(self, job: Job, name: str, *args: Any) -> None:
        path = job._text(name)
        if not path or job.refused is not None:
            return
        func = self.resolver.resolve(path)
        with _Deadline(self._alarm, job.callback_timeout(name)):
            func(job, job.connection, *args)

    def _callback(self, job: Job, name: str, *args: Any) -> None:
        try:
            self._run_callback(job, name, *args)
        except Exception:
            logger.exception("%s callback %s of job %s failed", name, job._text(name), job.id)


@contextlib.contextmanager
def _showing(job: Job, status: JobStatus | None) -> Iterator[None]:
    """While a callback runs, the job handle it is given shows ``status``, the one the
    run ends in (as rq's callbacks see it); Redis holds "started" until the outcome
    is acknowledged, so a crash meanwhile still leaves the job to the reaper."""
    if status is None:
        yield
        return
    held = job._fields.get(b"status")
    job._fields[b"status"] = status.value.encode()
    try:
        yield
    finally:
        if held is None:
            job._fields.pop(b"status", None)
        else:
            job._fields[b"status"] = held


def _retry_asked(job: Job, retry: Retry) -> Outcome:
    """The run of a job that returned ``retry``: neither a success nor an error (no
    callback runs); it fails, without a traceback, once its retries are used up."""
    if job.attempts - 1 >= retry.max:  # as retry_returned-7.lua decides
        _send_webhooks(job, "failed", None)
    return Outcome(job, False, reason="retry returned", retry=retry)


def _send_webhooks(job: Job, status: str, error: str | None) -> None:
    if job._raw("webhooks") is None or job.refused is not None:  # a refused job sends none
        return
    for hook in job.webhooks:
        if hook.job_status == status:
            hook.send(job, error)


async def _await(awaitable: Any) -> Any:
    return await awaitable
