"""Test harness: a private redis-server for the session, an empty DB per test,
and worker processes started and stopped by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from jobq import Queue
from jobq.connection import from_url
from jobq.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendonly=True).start()
    probe = redis.Redis(port=server.port)
    if probe.dbsize():
        server.close()
        pytest.fail("refusing to run tests: the test Redis is not empty")
    probe.close()
    yield server
    server.close()


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()  # a test stopped it
    client = redis.Redis(port=redis_server.port)
    client.flushall()
    client.script_flush()
    client.close()
    return redis_server.url


@pytest.fixture
def connection(redis_url: str) -> Iterator[redis.Redis]:
    conn = from_url(redis_url)
    yield conn
    conn.close()


@pytest.fixture
def queue(connection: redis.Redis) -> Queue:
    return Queue("default", connection=connection)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ProcessGroup:
    """Processes started with their output in ``log_dir``, each in its own session so
    that teardown can kill it and its children by pid."""

    log_prefix = "proc"

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(
        self, argv: list[str], env: dict[str, str], cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{self.log_prefix}-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.procs.append(proc)
        return proc

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        path = self.log_dir / f"{self.log_prefix}-{self.procs.index(proc)}.log"
        return path.read_text(errors="replace")

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            self.stop(proc)


class Processes(ProcessGroup):
    """Starts jobq commands as real processes; every one is stopped by pid at teardown."""

    def __init__(self, url: str, log_dir: Path) -> None:
        super().__init__(log_dir)
        self.url = url

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        return self.spawn(
            [sys.executable, "-m", "jobq", *args[:1], "--url", self.url, *args[1:]], _env()
        )

    def worker(self, *args: str) -> subprocess.Popen[bytes]:
        return self.start("worker", *args)


@pytest.fixture
def processes(redis_url: str, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(redis_url, tmp_path)
    yield procs
    procs.stop_all()


def wait_until(
    predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
