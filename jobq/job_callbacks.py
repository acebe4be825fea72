"""A job's callbacks (rq's ``on_success``, ``on_failure``, ``on_stopped``) as its
handle reads them, and the call of the stopped callback.

A callback travels by its dotted path (``Callback.path``) with its timeout, both
signed with the job; it is imported where it runs, never unpickled.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any

from . import defaults, numbers
from .exceptions import JobTimeoutException
from .functions import FunctionResolver

if TYPE_CHECKING:
    import redis

#: rq's marker for "not computed yet" (a callback not imported yet, a value not read)
UNEVALUATED: Any = object()


class UnixSignalDeathPenalty:
    """rq's death penalty: a ``with`` block that raises ``exception`` once ``timeout``
    seconds have passed (SIGALRM; in the main thread only, elsewhere no limit). A
    worker's jobs have their own timeout; this bounds the code rq runs under one,
    such as a stopped callback."""

    def __init__(
        self,
        timeout: float | None,
        exception: type[BaseException] = JobTimeoutException,
        **kwargs: Any,
    ) -> None:
        self.timeout, self.exception = timeout, exception
        self._previous: Any = None
        self._armed = False

    def __enter__(self) -> UnixSignalDeathPenalty:
        if (
            self.timeout
            and self.timeout > 0
            and threading.current_thread() is threading.main_thread()
        ):
            self._previous = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            self._armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous or signal.SIG_DFL)
            self._armed = False

    def _fire(self, signum: int, frame: Any) -> None:
        raise self.exception(f"Task exceeded maximum timeout value ({self.timeout:g} seconds)")


class JobCallbacks:
    """The callback side of a job handle (mixed into :class:`jobq.job_fields.JobFields`)."""

    if TYPE_CHECKING:
        connection: redis.Redis
        _decoded: dict[str, Any]

        def _text(self, name: str) -> str | None: ...

        def _raw(self, name: str) -> bytes | None: ...

    @property
    def success_callback(self) -> Any:
        return self._callback("on_success")

    @property
    def failure_callback(self) -> Any:
        return self._callback("on_failure")

    @property
    def stopped_callback(self) -> Any:
        """Called as ``f(job, connection)`` once the job was stopped while it ran."""
        return self._callback("on_stopped")

    success_callback_timeout = property(lambda self: self.callback_timeout("on_success"))
    failure_callback_timeout = property(lambda self: self.callback_timeout("on_failure"))
    stopped_callback_timeout = property(lambda self: self.callback_timeout("on_stopped"))

    #: rq's private names, which tests of rq users read: the stored path, and the
    #: function once imported (UNEVALUATED before)
    _success_callback_name = property(lambda self: self._text("on_success"))
    _failure_callback_name = property(lambda self: self._text("on_failure"))
    _stopped_callback_name = property(lambda self: self._text("on_stopped"))
    _success_callback = property(lambda self: self._decoded.get("on_success", UNEVALUATED))
    _failure_callback = property(lambda self: self._decoded.get("on_failure", UNEVALUATED))
    _stopped_callback = property(lambda self: self._decoded.get("on_stopped", UNEVALUATED))

    def _callback(self, name: str) -> Any:
        if name not in self._decoded:
            path = self._text(name)
            self._decoded[name] = FunctionResolver(None).resolve(path) if path else None
        return self._decoded[name]

    def callback_timeout(self, name: str) -> float:
        """Seconds the callback may run: its ``Callback(timeout=)``, else rq's default."""
        value = numbers.number(self._raw(f"{name}_timeout"), 0, numbers.MAX_SECONDS)
        return value or defaults.CALLBACK_TIMEOUT

    def execute_stopped_callback(
        self, death_penalty_class: type[UnixSignalDeathPenalty] = UnixSignalDeathPenalty
    ) -> None:
        """Call the stopped callback (if any) within its timeout; rq's name."""
        func = self.stopped_callback
        if func is not None:
            with death_penalty_class(self.stopped_callback_timeout, JobTimeoutException):
                func(self, self.connection)
