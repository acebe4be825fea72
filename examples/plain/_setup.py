"""Shared by the examples: a Redis (REDIS_URL, else an embedded one) and a worker process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
VAR = HERE.parent.parent / "var"


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    """Yield a Redis URL and make it jobq's default (JOBQ_REDIS_URL) for this process."""
    url = os.environ.get("REDIS_URL")
    if url:
        os.environ["JOBQ_REDIS_URL"] = url
        yield url
        return
    from jobq.embedded import EmbeddedRedis

    with EmbeddedRedis(VAR / "example-redis") as server:
        print(f"started an embedded redis-server (pid {server.pid}) at {server.url}")
        os.environ["JOBQ_REDIS_URL"] = server.url
        yield server.url


@contextlib.contextmanager
def process(url: str, command: str, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``jobq COMMAND`` against ``url``; stopped (SIGTERM, by pid) on exit."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    argv = [sys.executable, "-m", "jobq", command, "--url", url, "--quiet", *args]
    proc = subprocess.Popen(argv, env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def worker(url: str, *args: str) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    return process(url, "worker", *args)
