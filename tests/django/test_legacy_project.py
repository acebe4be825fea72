"""A django-rq project (tests/django/legacy_project) runs on jobq with only its
imports and INSTALLED_APPS changed: USE_REDIS_CACHE on a django-redis cache,
bare ``@job`` tasks calling ``get_current_job().get_id()``, ``Job.fetch(id,
connection=get_connection('default'))`` in a view, ``manage.py rqworker``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import ROOT, wait_until
from tests.django.legacy_project import settings as legacy

from .conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)

MANAGE_PY = ROOT / "tests" / "django" / "legacy_project" / "manage.py"


@pytest.fixture
def legacy_settings(settings: Any, redis_url: str) -> Any:
    """The in-process side: the legacy project's Redis settings on the test Redis."""
    settings.RQ_QUEUES = legacy.RQ_QUEUES
    settings.CACHES = {
        **legacy.CACHES,
        "redis-cache": {**legacy.CACHES["redis-cache"], "LOCATION": redis_url},
    }
    settings.ROOT_URLCONF = legacy.ROOT_URLCONF
    # one project, one SECRET_KEY: the worker process checks the jobs' signatures with it
    settings.SECRET_KEY = legacy.SECRET_KEY
    return settings


def legacy_env(manage: Manage) -> dict[str, str]:
    """What a deployment hands the legacy project: its database and Redis."""
    db = connection.settings_dict
    env = {k: v for k, v in manage.env().items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        LEGACY_DB_ENGINE=db["ENGINE"],
        LEGACY_DB_NAME=str(db["NAME"]),
        LEGACY_DB_USER=db.get("USER") or "",
        LEGACY_DB_HOST=db.get("HOST") or "",
        LEGACY_REDIS_URL=manage.redis_url,
    )
    return env


def test_enqueue_view_worker_and_fetch_view(
    legacy_settings: Any, client: Client, manage: Manage
) -> None:
    ids = client.get("/enqueue/", {"text": "three little words"}).json()
    manage.run("rqworker", "--burst", env=legacy_env(manage), manage_py=MANAGE_PY)

    status = client.get(f"/job/{ids['job_id']}/").json()
    assert status == {
        "id": ids["job_id"],
        "status": "finished",
        "result": f"job id: {ids['job_id']}",
    }
    words = client.get(f"/job/{ids['words_job_id']}/").json()
    assert (words["status"], words["result"]) == ("finished", 3)


def test_manage_py_check_passes_on_the_legacy_settings(manage: Manage) -> None:
    out = manage.run("check", env=legacy_env(manage), manage_py=MANAGE_PY)
    assert "System check identified no issues" in out


def test_schedule_view_with_rq_scheduler_call(
    legacy_settings: Any, client: Client, manage: Manage
) -> None:
    """``get_scheduler('default').schedule(scheduled_time=datetime.now(), func=...,
    args=[url], interval=1, repeat=2)``: two runs, each its own job, found by the
    schedule's id through ``job.schedule_id`` (rq-scheduler reused one job id)."""
    from jobq import Job
    from jobq.django_integration import get_connection, get_queue

    schedule_id = client.get("/schedule/", {"url": "http://example.com/a/b", "repeat": 2}).json()[
        "job_id"
    ]
    env = legacy_env(manage)
    manage.start("rqscheduler", "--interval", "0.2", env=env, manage_py=MANAGE_PY)
    manage.start("rqworker", env=env, manage_py=MANAGE_PY)
    registry = get_queue("default").finished_job_registry
    wait_until(lambda: registry.count == 2, timeout=30, interval=0.1)
    runs = [Job.fetch(i, connection=get_connection("default")) for i in registry.get_job_ids()]
    assert {r.schedule_id for r in runs} == {schedule_id}
    for run in runs:
        assert run.result == {"job": run.id, "words": 4}
        status = client.get(f"/job/{run.id}/").json()
        assert status["status"] == "finished"
