"""Fixtures for the Django tests: settings pointing at the private Redis, and
``manage.py`` commands run as real processes against the test database.

These tests need Django configured (``make pytest`` runs them with
DJANGO_SETTINGS_MODULE=tests.django.settings, once on SQLite and once on
PostgreSQL); a plain ``pytest`` without it leaves this folder out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, ProcessGroup

if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    collect_ignore_glob = ["*"]


def queues_for(url: str) -> dict[str, dict[str, Any]]:
    return {
        "default": {"URL": url, "DEFAULT_TIMEOUT": 60},
        "high": {"URL": url},
        "low": {"URL": url, "DEFAULT_RESULT_TTL": 3600},
    }


@pytest.fixture(autouse=True)
def jobq_settings(settings: Any, redis_url: str) -> Any:
    """Every test talks to the suite's private redis-server, on a flushed DB."""
    settings.RQ_QUEUES = queues_for(redis_url)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "django-redis": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url},
        "builtin-redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        },
    }
    return settings


class Manage(ProcessGroup):
    """Runs ``manage.py`` commands as processes; each is stopped by pid at teardown."""

    log_prefix = "manage"

    def __init__(self, redis_url: str, log_dir: Path) -> None:
        super().__init__(log_dir)
        self.redis_url = redis_url

    def env(self, settings_module: str = "tests.django.settings") -> dict[str, str]:
        from django.db import connection

        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE=settings_module,
            JOBQ_TEST_DB=os.environ.get("JOBQ_TEST_DB", "sqlite"),
            JOBQ_TEST_DB_NAME=str(connection.settings_dict["NAME"]),
            JOBQ_TEST_REDIS_URL=self.redis_url,
            PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(
        self, *args: str, env: dict[str, str] | None = None, manage_py: Path | None = None
    ) -> subprocess.Popen[bytes]:
        program = [str(manage_py)] if manage_py else ["-m", "django"]
        return self.spawn([sys.executable, *program, *args], env or self.env(), cwd=ROOT)

    def run(
        self,
        *args: str,
        timeout: float = 60,
        env: dict[str, str] | None = None,
        manage_py: Path | None = None,
    ) -> str:
        """Run a command to its end; returns its output, fails the test on a non-zero exit."""
        proc = self.start(*args, env=env, manage_py=manage_py)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            pytest.fail(f"manage.py {' '.join(args)} did not end in {timeout} s:\n{self.log(proc)}")
        out = self.log(proc)
        assert code == 0, f"manage.py {' '.join(args)} exited {code}:\n{out}"
        return out

    def stop_warm(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM, so that a worker closes its database connections before the test
        database is dropped; killed only if it does not end."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        finally:
            self.stop(proc)


@pytest.fixture
def manage(redis_url: str, tmp_path: Path) -> Iterator[Manage]:
    runner = Manage(redis_url, tmp_path)
    yield runner
    runner.stop_all()
