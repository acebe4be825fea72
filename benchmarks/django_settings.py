"""Django settings for the recording benchmark (case 9), read from the environment
that ``benchmarks/scenarios/django_recording.py`` sets: ``BENCH_REDIS_URL``,
``BENCH_DB_ENGINE`` (postgresql or sqlite3), ``BENCH_DB_NAME`` and
``BENCH_RECORD`` (JOBQ["RECORD"]: all or none)."""

from __future__ import annotations

import os

SECRET_KEY = "benchmark"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "jobq.django_integration",
]
_ENGINE = os.environ.get("BENCH_DB_ENGINE", "sqlite3")
DATABASES = {
    "default": {
        "ENGINE": f"django.db.backends.{_ENGINE}",
        "NAME": os.environ.get("BENCH_DB_NAME", ":memory:"),
        **(
            {"USER": "postgres", "HOST": "127.0.0.1", "PORT": 5432}
            if _ENGINE == "postgresql"
            else {}
        ),
    }
}
RQ_QUEUES = {"default": {"URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:1/0")}}
JOBQ = {
    "RECORD": os.environ.get("BENCH_RECORD", "all"),
    "COMMIT_MODE": "immediate",
    "ALLOWED_MODULES": ["benchmarks"],
}
