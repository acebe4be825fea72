"""A job's retry settings (rq's ``retries_left``, ``retry_intervals``,
``enqueue_at_front_on_retry``) as its handle reads them, and as a job made by
``Job.create`` and not enqueued yet takes new ones.

A stored job counts its retries by its runs (``attempts``); the fail step decides
each retry from them, so a queued or running job's policy changes only through
its transitions: setting one raises :class:`InvalidJobOperation`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .exceptions import InvalidJobOperation
from .retry import Retry

_FIELDS = (b"max_attempts", b"retry_intervals", b"retry_front")


class RetrySettings:
    """The retry side of a job handle (mixed into :class:`jobq.job_fields.JobFields`)."""

    if TYPE_CHECKING:
        id: str
        _unsaved: Any
        _fields: dict[bytes, bytes]

        @property
        def attempts(self) -> int: ...

        @property
        def max_attempts(self) -> int: ...

        @property
        def number_of_retries(self) -> int: ...

        def _text(self, name: str) -> str | None: ...

        def _raw(self, name: str) -> bytes | None: ...

    @property
    def retry_intervals(self) -> list[float]:
        """Seconds between retries (rq's name); the last one repeats."""
        raw = self._text("retry_intervals")
        try:
            intervals = json.loads(raw) if raw else []
        except ValueError:
            return []
        return (
            [i for i in intervals if isinstance(i, int | float)]
            if isinstance(intervals, list)
            else []
        )

    @retry_intervals.setter
    def retry_intervals(self, value: Sequence[float] | None) -> None:
        self._redraft(self.retries_left, list(value or ()), self.enqueue_at_front_on_retry)

    @property
    def enqueue_at_front_on_retry(self) -> bool:
        return self._raw("retry_front") == b"1"

    @enqueue_at_front_on_retry.setter
    def enqueue_at_front_on_retry(self, value: bool) -> None:
        self._redraft(self.retries_left, self.retry_intervals, bool(value))

    @property
    def retries_left(self) -> int:
        """Retries not used yet (rq's meaning): ``Retry(max=3)`` gives 3 at enqueue."""
        return max(0, self.max_attempts - 1 - self.number_of_retries)

    @retries_left.setter
    def retries_left(self, value: int | None) -> None:
        self._redraft(value or 0, self.retry_intervals, self.enqueue_at_front_on_retry)

    def get_retry_interval(self) -> float:
        """Seconds the retry after the job's latest run waits (before any run: the
        first retry's), as the fail step picks them: in turn by run, the last one
        repeating; 0 without intervals."""
        return Retry.get_interval(max(0, self.attempts - 1), self.retry_intervals or None)

    def _redraft(self, left: int, intervals: list[float], front: bool) -> None:
        """Give a job not enqueued yet the policy Retry(left, intervals, front); its
        ``save()`` or ``enqueue_job`` stores it."""
        if self._unsaved is None:
            raise InvalidJobOperation(
                f"job {self.id!r} is enqueued; its retries change only through its "
                "transitions (set them on a job from Job.create before enqueue_job)"
            )
        retry = Retry(left, intervals or 0, front) if left else None
        self._unsaved = self._unsaved.with_options(retry=retry)
        for name in _FIELDS:
            self._fields.pop(name, None)
        if left:
            self._fields[b"max_attempts"] = str(1 + left).encode()
        if intervals:
            self._fields[b"retry_intervals"] = json.dumps(intervals).encode()
        if front:
            self._fields[b"retry_front"] = b"1"
