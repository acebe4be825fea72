"""Executor children: forked processes that run the consumer loop and report
to the supervisor over a pipe, one framed message per event.

A frame is a 4-byte big-endian length and a JSON array: ``["T", queue, [ids]]``
(took), ``["S", queue, id, timeout or null]`` (started), ``["A", queue, ok, failed,
[ids]]`` (acknowledged or handed back). Framed, not lines of text: whatever bytes a
job id holds (a space, a newline), it cannot split or merge reports; a frame the
supervisor cannot read is logged and dropped, never taken for another.
"""

from __future__ import annotations

import ctypes
import json
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .holdings import Holdings

logger = logging.getLogger("jobq.worker")

_PR_SET_PDEATHSIG = 1
#: exit code of a child that ran its --max-jobs-per-child jobs (0: its queues were empty)
EXIT_RECYCLED = 75
#: bytes of a frame's length prefix
_HEADER = 4
#: a frame's body: ASCII JSON (ids of any text come through escaped); built once, as a
#: per-call json.dumps/loads would cost more than a short job
_encode = json.JSONEncoder(separators=(",", ":")).encode
_decode = json.JSONDecoder().decode


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (kill -9 of the supervisor)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


class PipeReporter:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def _send(self, message: list[Any]) -> None:
        body = _encode(message).encode("ascii")
        data = len(body).to_bytes(_HEADER, "big") + body
        while data:
            n = os.write(self.fd, data)
            data = data[n:]

    def took(self, queue: str, job_ids: Sequence[str]) -> None:
        self._send(["T", queue, list(job_ids)])

    def started(self, queue: str, job_id: str, timeout: float | None) -> None:
        self._send(["S", queue, job_id, timeout or None])

    def acked(self, queue: str, job_ids: Sequence[str], ok: int, failed: int) -> None:
        self._send(["A", queue, ok, failed, list(job_ids)])


class SharedBudget:
    """``--max-jobs`` across all children: a counter in shared memory."""

    def __init__(self, limit: int) -> None:
        self._value: Any = multiprocessing.get_context("fork").Value("q", limit)

    def claim(self, wanted: int) -> int:
        with self._value.get_lock():
            n = min(wanted, self._value.value)
            self._value.value -= n
            return int(n)

    def give_back(self, n: int) -> None:
        with self._value.get_lock():
            self._value.value += n

    @property
    def left(self) -> int:
        return int(self._value.value)


class Budgets:
    """Several budgets at once: a claim is the least any of them allows."""

    def __init__(self, *budgets: Any) -> None:
        self.budgets = [b for b in budgets if b is not None]

    def claim(self, wanted: int) -> int:
        granted = wanted
        taken: list[tuple[Any, int]] = []
        for b in self.budgets:
            n = b.claim(granted)
            taken.append((b, n))
            granted = min(granted, n)
        for b, n in taken:
            if n > granted:
                b.give_back(n - granted)
        return granted

    def give_back(self, n: int) -> None:
        for b in self.budgets:
            b.give_back(n)


@dataclass
class Child:
    pid: int
    fd: int
    holdings: Holdings = field(default_factory=Holdings)
    buffer: bytes = b""
    killed_for_timeout: bool = False
    #: the stopped job it was killed for (jobq.command.send_stop_job_command)
    stopping: str | None = None

    def feed(self, data: bytes) -> None:
        self.buffer += data
        start = 0
        while len(self.buffer) - start >= _HEADER:
            size = int.from_bytes(self.buffer[start : start + _HEADER], "big")
            end = start + _HEADER + size
            if end > len(self.buffer):
                break
            self._apply(self.buffer[start + _HEADER : end])
            start = end
        self.buffer = self.buffer[start:]

    def _apply(self, frame: bytes) -> None:
        try:
            message = _decode(frame.decode("ascii"))
            kind, queue, *rest = message
            if kind == "T":
                self.holdings.took(queue, [str(i) for i in rest[0]])
            elif kind == "S":
                timeout = None if rest[1] is None else float(rest[1])
                self.holdings.started(queue, str(rest[0]), timeout)
            elif kind == "A":
                self.holdings.acked(queue, [str(i) for i in rest[2]], int(rest[0]), int(rest[1]))
            else:
                raise ValueError(f"unknown kind {kind!r}")
        except (ValueError, TypeError, IndexError) as e:
            logger.error("unreadable report from child %d (%s): %r", self.pid, e, frame[:200])


def spawn(target: Callable[[PipeReporter], int]) -> Child:
    """Fork a child that runs ``target(reporter)`` and exits with its return code."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.close(read_fd)
            die_with_parent()
            code = target(PipeReporter(write_fd))
        except BaseException:
            logger.exception("executor child crashed")
        finally:
            logging.shutdown()
            os._exit(code)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    return Child(pid, read_fd)


def describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"killed by signal {name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
