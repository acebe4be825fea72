"""Executor children: forked processes that run the consumer loop and report
to the supervisor over a pipe, one short text line per event.

Lines: ``T queue id...`` (took), ``S queue id timeout`` (started),
``A queue ok failed id...`` (acknowledged or handed back). Queue names and job
ids never contain white space (both are validated at enqueue).
"""

from __future__ import annotations

import ctypes
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

    def _send(self, line: str) -> None:
        data = (line + "\n").encode()
        while data:
            n = os.write(self.fd, data)
            data = data[n:]

    def took(self, queue: str, job_ids: Sequence[str]) -> None:
        self._send(f"T {queue} {' '.join(job_ids)}")

    def started(self, queue: str, job_id: str, timeout: float | None) -> None:
        self._send(f"S {queue} {job_id} {timeout if timeout else '-'}")

    def acked(self, queue: str, job_ids: Sequence[str], ok: int, failed: int) -> None:
        self._send(f"A {queue} {ok} {failed} {' '.join(job_ids)}")


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

    def feed(self, data: bytes) -> None:
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self._apply(line.decode())

    def _apply(self, line: str) -> None:
        kind, _, rest = line.partition(" ")
        parts = rest.split(" ")
        if kind == "T":
            self.holdings.took(parts[0], [p for p in parts[1:] if p])
        elif kind == "S":
            timeout = None if parts[2] == "-" else float(parts[2])
            self.holdings.started(parts[0], parts[1], timeout)
        elif kind == "A":
            self.holdings.acked(parts[0], [p for p in parts[3:] if p], int(parts[1]), int(parts[2]))
        else:
            logger.error("unexpected report from child %d: %r", self.pid, line)


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
