"""Retry policy values (rq's ``Retry``) and ``Callback``.

The decision itself (retry now, later, or fail) is taken inside the fail
transition so that a worker, a supervisor burying a dead child and the reaper
all decide the same way; these values only validate and carry the policy.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .functions import function_path
from .numbers import MAX_ATTEMPTS


class Retry:
    """Retry a failed job up to ``max`` more times, waiting ``interval`` seconds
    (one number, or one per attempt: the last repeats); with ``enqueue_at_front``
    a retry without a wait goes to the head of the queue (rq's option)."""

    def __init__(
        self, max: int, interval: float | Sequence[float] = 0, enqueue_at_front: bool = False
    ) -> None:
        if isinstance(max, bool) or not isinstance(max, int) or not 1 <= max < MAX_ATTEMPTS:
            raise ValueError(
                f"Retry max must be a positive integer below {MAX_ATTEMPTS}, got {max!r}"
            )
        intervals = [interval] if isinstance(interval, int | float) else list(interval)
        if any(
            isinstance(i, bool) or not isinstance(i, int | float) or not 0 <= i < math.inf
            for i in intervals
        ):
            raise ValueError(f"Retry intervals must be finite numbers >= 0, got {interval!r}")
        self.max = max
        self.intervals: list[float] = [float(i) for i in intervals] or [0.0]
        self.enqueue_at_front = bool(enqueue_at_front)
        self._interval = interval  # as given, for repr (rq's)

    @staticmethod
    def get_interval(count: int, intervals: float | Sequence[float] | None) -> float:
        """Seconds to wait before retry number ``count + 1`` (``count`` retries done),
        rq's signature: the last interval repeats; None waits nothing."""
        if intervals is None:
            return 0
        if isinstance(intervals, int | float):
            return intervals
        return intervals[min(count, len(intervals) - 1)] if intervals else 0

    def encode(self) -> str:
        return json.dumps(self.intervals)

    def to_json(self) -> str:
        """The policy as a returned Retry is stored with its job (retry_returned-7.lua)."""
        given: Any = self._interval
        if not isinstance(given, int | float | list | tuple):
            given = self.intervals
        return json.dumps(
            {"max": self.max, "interval": given, "enqueue_at_front": self.enqueue_at_front}
        )

    @classmethod
    def from_json(cls, text: str) -> Retry | None:
        """The policy :meth:`to_json` stored, or None when ``text`` holds no valid one."""
        try:
            p = json.loads(text)
            interval = p["interval"]
            return cls(p["max"], interval if isinstance(interval, int | float) else list(interval),
                       bool(p["enqueue_at_front"]))  # fmt: skip
        except (ValueError, TypeError, KeyError):
            return None

    def __repr__(self) -> str:
        return (
            f"Retry(max={self.max}, interval={self._interval!r}, "
            f"enqueue_at_front={self.enqueue_at_front})"
        )


@dataclass(frozen=True)
class Callback:
    """A function called after a job succeeds or fails (rq's ``Callback``).

    ``on_success(job, connection, result)``; ``on_failure(job, connection, type, value, traceback)``.
    """

    func: Callable[..., Any] | str
    timeout: float | None = None

    @property
    def path(self) -> str:
        return function_path(self.func)

    def __post_init__(self) -> None:
        if inspect.ismethod(self.func):
            raise ValueError(
                f"callback {self.func!r} is a bound method; as in rq, a callback must be a "
                "module-level function (or a builtin), named by its dotted path"
            )

    @classmethod
    def coerce(cls, value: Callback | Callable[..., Any] | str | None) -> Callback | None:
        if value is None or isinstance(value, Callback):
            return value
        return cls(value)
