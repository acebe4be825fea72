"""Case 9: the cost of Django recording. The Django integration writes a
``JobRecord`` row when a job is enqueued and updates it when a worker starts and
ends it (``JOBQ["RECORD"] = "all"``, the default); ``"none"`` turns that off.
Measured both ways, side by side, on PostgreSQL (127.0.0.1:5432, a database
created for the run and dropped after; SQLite in a temporary file when
PostgreSQL is not there): enqueue one by one through ``get_queue()``, and noop
processing by the worker ``manage.py rqworker`` builds (``get_worker``).

rq has no counterpart (django-rq keeps no database rows), so the rq column is empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from ..common import ROOT, reset, row, sizes, subprocess_env
from ..workers import WorkerSpec
from .process_noop import drain

CASE = "9. Django recording"
SPEC = WorkerSpec("jobq-django", "worker", concurrency=1)


@contextlib.contextmanager
def _database() -> Iterator[dict[str, str]]:
    """A fresh database for the run: PostgreSQL if it answers, else a SQLite file."""
    name = f"jobq_bench_{os.getpid()}"
    try:
        import psycopg

        admin = psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres",
                                autocommit=True, connect_timeout=3)  # fmt: skip
    except Exception:
        with tempfile.TemporaryDirectory(prefix="jobq-bench-db-") as tmp:
            yield {"BENCH_DB_ENGINE": "sqlite3", "BENCH_DB_NAME": os.path.join(tmp, "db.sqlite3")}
        return
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield {"BENCH_DB_ENGINE": "postgresql", "BENCH_DB_NAME": name}
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set for this process, so that the worker processes it starts inherit them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _manage(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, env=subprocess_env(), capture_output=True,
        text=True, check=False, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr[-2000:]}")
    return done.stdout


def _enqueue_rate(url: str, n: int) -> float:
    reset(url)
    out = _manage("benchmarks.django_enqueue", str(n))
    return float(json.loads(out.strip().splitlines()[-1])["rate"])


def _processing_rate(url: str, n: int) -> float:
    return drain(url, SPEC, n)["rate"]


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    n = sizes(quick).jobs
    figures: dict[str, dict[str, float]] = {}
    with _database() as db, _environment({**db, "BENCH_REDIS_URL": redis_url,
                                          "DJANGO_SETTINGS_MODULE": "benchmarks.django_settings"}):  # fmt: skip
        _manage("django", "migrate", "--verbosity", "0")
        for record in ("none", "all"):
            with _environment({"BENCH_RECORD": record}):
                figures[record] = {
                    "enqueue": _enqueue_rate(redis_url, n),
                    "process": _processing_rate(redis_url, n),
                }
    engine = db["BENCH_DB_ENGINE"]
    rows = []
    for what, label in (("enqueue", "enqueue one by one"), ("process", "Worker c=1 processing")):
        off, on = figures["none"][what], figures["all"][what]
        rows.append(row(CASE, f"{label} jobs/s, RECORD='none' (N={n})", off, None))
        rows.append(row(CASE, f"{label} jobs/s, RECORD='all' ({engine}; {on / off:.0%})", on,
                        None))  # fmt: skip
    return {
        "scenario": "django_recording",
        "rows": rows,
        "details": {"database": engine, "jobs": n, "figures": figures},
        "notes": [
            f"Django recording: JobRecord rows on {engine}; enqueue through get_queue() in its "
            "own process (one INSERT per job with RECORD='all'); processing by get_worker() "
            "(what manage.py rqworker runs: an UPDATE when a job starts and when it ends)"
        ],
    }
