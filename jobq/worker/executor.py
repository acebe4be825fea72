"""Runs one job in the current process and says how it ended.

This is the only place that catches ``BaseException``: whatever a job does, the
worker records it and goes on; ``KeyboardInterrupt``/``SystemExit`` raised by the
job itself are recorded and the loop decides what to do next.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..exceptions import DeserializationError, FunctionNotAllowed, JobTimeoutException
from ..functions import FunctionResolver
from ..hooks import Hooks
from ..job import Job
from .context import reset_current_job, set_current_job

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


class ShutdownRequested(BaseException):
    """Cold shutdown of an in-process worker: leave the job, hand it back."""


class _Deadline:
    """SIGALRM-based timeout inside the job (main thread only); the supervisor
    kills the child as a backstop for code that does not return to Python."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds if seconds and seconds > 0 else None
        self.armed = False

    def _fire(self, signum: int, frame: Any) -> None:
        raise JobTimeoutException(f"Task exceeded maximum timeout value ({self.seconds:g} seconds)")

    def __enter__(self) -> _Deadline:
        if self.seconds and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)


def _format(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    exc.__traceback__ = None  # do not keep frames (and their locals) alive
    return text


def _reason(exc: BaseException) -> str:
    if isinstance(exc, JobTimeoutException):
        return "timeout"
    if isinstance(exc, FunctionNotAllowed):
        return "function not allowed"
    if isinstance(exc, ImportError):
        return "function not importable"
    if isinstance(exc, DeserializationError):
        return "bad payload"
    return f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")


class Executor:
    """Calls job functions (sync or async) with timeouts and callbacks."""

    def __init__(self, resolver: FunctionResolver, hooks: Hooks | None = None) -> None:
        self.resolver = resolver
        self.hooks = hooks if hooks is not None else Hooks()
        self._runner: asyncio.Runner | None = None

    def close(self) -> None:
        self.hooks.close()
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def _call(self, func: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(func):
            if self._runner is None:
                self._runner = asyncio.Runner()
            return self._runner.run(func(*args, **kwargs))
        result = func(*args, **kwargs)
        if inspect.isawaitable(result):
            if self._runner is None:
                self._runner = asyncio.Runner()
            return self._runner.run(_await(result))
        return result

    def perform(self, job: Job) -> Outcome:
        """Run one job between the hooks' before and after calls."""
        self.hooks.before_job(job)
        outcome = self._perform(job)
        self.hooks.after_job(job, outcome)
        return outcome

    def _perform(self, job: Job) -> Outcome:
        token = set_current_job(job)
        try:
            func = self.resolver.resolve(job.func_name)
            args, kwargs = job.args, job.kwargs
            with _Deadline(job.timeout):
                value = self._call(func, args, kwargs)
            result = job.serializer.dumps(value)
        except ShutdownRequested:
            raise
        except BaseException as exc:
            self._callback(job, "on_failure", type(exc), exc, exc.__traceback__)
            outcome = Outcome(job, False, error=_format(exc), reason=_reason(exc))
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                logger.warning("job %s (%s) raised %s", job.id, job.func_name, type(exc).__name__)
            return outcome
        finally:
            reset_current_job(token)
        self._callback(job, "on_success", value)
        return Outcome(job, True, result=result)

    def _callback(self, job: Job, name: str, *args: Any) -> None:
        path = job._text(name)
        if not path:
            return
        try:
            func = self.resolver.resolve(path)
            with _Deadline(60):
                func(job, job.connection, *args)
        except Exception:
            logger.exception("%s callback %s of job %s failed", name, path, job.id)


async def _await(awaitable: Any) -> Any:
    return await awaitable
