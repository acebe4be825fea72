"""Reliability suite: real ``python -m jobq worker`` processes, killed and signalled by
pid; short leases so a dead worker's jobs come back within a second or two."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.conftest import wait_until
from tests.helpers import alive

#: lease for workers in this suite (seconds); heartbeats every LEASE / 3
LEASE = "1"


def wait_for_file(path: Path, timeout: float = 20.0, lines: int = 1) -> list[str]:
    """Wait until ``path`` holds at least ``lines`` lines; return them."""
    wait_until(
        lambda: path.exists() and len(path.read_text().splitlines()) >= lines, timeout=timeout
    )
    return path.read_text().splitlines()


def signal_and_wait(proc: subprocess.Popen[bytes], sig: int, timeout: float = 30.0) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout)


def kill_hard(pid: int) -> None:
    """kill -9 one process (not its group) and wait until it is gone."""
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), timeout=10)
