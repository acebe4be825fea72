"""Settings for the Django tests: SQLite or PostgreSQL, chosen by JOBQ_TEST_DB.

The suite runs on ``JOBQ_TEST_DB=postgres`` (``make pytest``, twice: the pinned
and the newest Django) and on ``JOBQ_TEST_DB=sqlite`` (``make test-oldest``). The test database gets a name unique to the run, so
two runs on one machine never meet; pytest-django creates and drops it. Worker
processes started by the tests import this module too and are handed the live
names through the environment (``JOBQ_TEST_DB_NAME``, ``JOBQ_TEST_REDIS_URL``).
The default Redis URL points at a port nothing listens on: the tests must never
reach the machine's own Redis.
"""

from __future__ import annotations

import os
import tempfile
import uuid

import django

BACKEND = os.environ.get("JOBQ_TEST_DB", "sqlite")
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
#: set in worker processes: the test database the test process created
LIVE_DB_NAME = os.environ.get("JOBQ_TEST_DB_NAME")

if BACKEND == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": LIVE_DB_NAME or "postgres",
            "USER": os.environ.get("JOBQ_TEST_PG_USER", "postgres"),
            "HOST": os.environ.get("JOBQ_TEST_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("JOBQ_TEST_PG_PORT", "5432"),
            "TEST": {"NAME": f"test_jobq_{RUN_ID}"},
        }
    }
elif BACKEND == "sqlite":
    _file = os.path.join(tempfile.gettempdir(), f"test_jobq_{RUN_ID}.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # outside a test run nothing may create the file: pytest-django creates and
            # drops TEST NAME; worker processes get the live name
            "NAME": LIVE_DB_NAME or ":memory:",
            "TEST": {"NAME": _file},  # a file, so worker processes see the same database
            "OPTIONS": {"timeout": 30},
        }
    }
else:
    raise RuntimeError(f"JOBQ_TEST_DB must be 'sqlite' or 'postgres', not {BACKEND!r}")

REDIS_URL = os.environ.get("JOBQ_TEST_REDIS_URL", "redis://127.0.0.1:1/0")

SECRET_KEY = "jobq-tests-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Europe/Paris"
ALLOWED_HOSTS = ["testserver", "localhost"]
ROOT_URLCONF = "tests.django.urls"
STATIC_URL = "/static/"  # the live server of the browser tests serves under it
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "jobq.django_integration",
    "tests.django.legacy_project.demo",
    "django_tasks",  # the backport of django.tasks (Django < 6.0): checks and signals
]
# the admin (queue pages, browser tests) needs sessions, auth, messages and templates
MIDDLEWARE: list[str] = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES: list[dict[str, object]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
    "high": {"URL": REDIS_URL},
    "low": {"URL": REDIS_URL, "DEFAULT_RESULT_TTL": 3600},
}
JOBQ = {"ALLOWED_MODULES": ["tests"]}

# Django's Tasks framework (the django-tasks backport here) on jobq: the framework's
# queue "default" is split by priority onto jobq's "high" and "default", "emails"
# onto "high" and "low" (tests/django/test_tasks_backend.py)
TASKS = {
    "default": {
        "BACKEND": "jobq.django_integration.tasks_backend.JobqBackend",
        "QUEUES": ["default", "emails"],
        "OPTIONS": {
            "PRIORITY_QUEUES": {
                "default": {"high": 50, "default": -100},
                "emails": {"high": 1, "low": -100},
            },
        },
    }
}
# the documented task examples send mail from worker processes (Django 6.1 moved
# the backend into MAILERS and deprecates EMAIL_BACKEND)
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"jobq": {"handlers": ["console"], "level": "INFO"}},
}
