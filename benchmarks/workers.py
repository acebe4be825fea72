"""Start a worker in a subprocess (``benchmarks.worker_runner``) and time it."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .common import ROOT, stop_process, subprocess_env


@dataclass(frozen=True)
class WorkerSpec:
    system: str
    kind: str  # "simple" or "worker"
    concurrency: int = 1
    log_level: str = "INFO"

    @property
    def queue_system(self) -> str:
        """The system whose API fills and counts this worker's queue."""
        return "jobq" if self.system.startswith("jobq") else self.system

    @property
    def label(self) -> str:
        cls = "SimpleWorker" if self.kind == "simple" else "Worker"
        if self.system == "rq" and self.kind == "worker":
            return "rq Worker (fork per job)"
        extra = f" concurrency={self.concurrency}" if self.kind == "worker" else ""
        if self.log_level != "INFO":
            extra += f" (logging {self.log_level})"
        return f"{self.system} {cls}{extra}"


@dataclass
class Timing:
    spawned: float
    ready: float
    done: float
    exited: float

    @property
    def work_seconds(self) -> float:
        """From right before ``work()`` to its return."""
        return self.done - self.ready

    @property
    def process_seconds(self) -> float:
        """Whole process: interpreter start, imports, work, exit."""
        return self.exited - self.spawned


class WorkerProcess:
    """``with WorkerProcess(spec, url, burst=True) as w: w.wait_ready(); w.wait_done()``."""

    def __init__(self, spec: WorkerSpec, url: str, *, burst: bool) -> None:
        self.spec = spec
        self.url = url
        self.burst = burst
        self.proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[dict[str, float] | None] = queue.Queue()
        self._log: BinaryIO | None = None
        self._log_path: Path | None = None
        self.spawned = self.ready = self.done = self.exited = 0.0

    def __enter__(self) -> WorkerProcess:
        log = tempfile.NamedTemporaryFile(prefix="jobq-bench-worker-", suffix=".log", delete=False)
        self._log, self._log_path = log, Path(log.name)
        argv = [
            sys.executable, "-m", "benchmarks.worker_runner",
            self.spec.system, self.spec.kind, self.url,
            "--concurrency", str(self.spec.concurrency),
            "--log-level", self.spec.log_level,
        ]  # fmt: skip
        if self.burst:
            argv.append("--burst")
        self.spawned = time.time()
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            stop_process(self.proc, signal.SIGTERM)
        if self._log is not None:
            self._log.close()
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)

    def _read(self, stream: Any) -> None:
        for raw in stream:
            try:
                self._lines.put(json.loads(raw))
            except ValueError:
                continue
        self._lines.put(None)

    def _next(self, key: str, timeout: float) -> float:
        try:
            event = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(
                f"{self.spec.label}: no {key!r} within {timeout} s{self._tail()}"
            ) from None
        if event is None or key not in event:
            raise RuntimeError(f"{self.spec.label} ended before {key!r}{self._tail()}")
        return float(event[key])

    def _tail(self) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        text = self._log_path.read_text(errors="replace")[-2000:]
        return f"; its log ends with:\n{text}" if text else ""

    def wait_ready(self, timeout: float = 60) -> float:
        self.ready = self._next("ready", timeout)
        return self.ready

    def wait_done(self, timeout: float = 600) -> Timing:
        """Burst mode: wait for the worker to drain the queue and exit."""
        self.done = self._next("done", timeout)
        assert self.proc is not None
        code = self.proc.wait(60)
        self.exited = time.time()
        if code != 0:
            raise RuntimeError(f"{self.spec.label} exited with {code}{self._tail()}")
        return Timing(self.spawned, self.ready, self.done, self.exited)
