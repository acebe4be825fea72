"""A django-rq project with its imports swapped: its settings keys, module names,
URL names and commands work on jobq."""

from __future__ import annotations

import io
import logging.config
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jobq import Job, Queue
from jobq.django_integration import get_queue, get_scheduler, get_worker, thread_queue
from jobq.django_integration.queues import DjangoRQ, get_commit_mode, get_queue_by_index
from jobq.scheduler import Scheduler
from jobq.serializers import JSONSerializer
from jobq.worker import SimpleWorker
from tests.django.admin_helpers import superuser

pytestmark = pytest.mark.django_db


class AuditedQueue(DjangoRQ):
    pass


class AuditedJob(Job):
    pass


class AuditedScheduler(Scheduler):
    pass


def test_queue_class_and_serializer_keys_of_rq_queues(settings: Any) -> None:
    settings.RQ_QUEUES = {
        **settings.RQ_QUEUES,
        "audited": {
            **settings.RQ_QUEUES["high"],
            "QUEUE_CLASS": f"{__name__}.AuditedQueue",
            "SERIALIZER": "jobq.serializers.JSONSerializer",
        },
    }
    queue = get_queue("audited")
    assert type(queue) is AuditedQueue and isinstance(queue.serializer, JSONSerializer)


def test_classes_from_the_rq_setting(settings: Any) -> None:
    settings.RQ = {
        "QUEUE_CLASS": f"{__name__}.AuditedQueue",
        "JOB_CLASS": f"{__name__}.AuditedJob",
        "WORKER_CLASS": "jobq.SimpleWorker",
        "SCHEDULER_CLASS": f"{__name__}.AuditedScheduler",
        "DEFAULT_RESULT_TTL": 123,
    }
    queue = get_queue("high")
    assert type(queue) is AuditedQueue and queue.job_class is AuditedJob
    assert queue.default_result_ttl == 123
    assert type(get_worker("high")) is SimpleWorker
    assert type(get_scheduler("high")) is AuditedScheduler
    with pytest.raises(ImproperlyConfigured, match="worker class"):
        settings.RQ = {"WORKER_CLASS": "jobq.Queue"}
        get_worker("high")


def test_commit_mode_in_django_rq_words(settings: Any) -> None:
    assert get_commit_mode() == "on_db_commit"
    settings.RQ = {"COMMIT_MODE": "auto"}
    assert get_commit_mode() == "auto" and get_queue().commit_mode == "immediate"


def test_request_finished_mode_holds_jobs_until_the_response(settings: Any) -> None:
    settings.RQ = {"COMMIT_MODE": "request_finished"}
    queue = get_queue("high")
    held = queue.enqueue("tests.fixtures.jobs.noop")
    assert len(thread_queue.get_queue()) == 1 and queue.count == 0
    thread_queue.commit()
    assert queue.job_ids == [held.id]


def test_queue_by_index_follows_sorted_names() -> None:
    assert [get_queue_by_index(i).name for i in range(3)] == ["default", "high", "low"]


def test_worker_lists_its_queues() -> None:
    worker = get_worker("high", "low")
    assert [q.name for q in worker.queues] == ["high", "low"]
    assert all(isinstance(q, Queue) for q in worker.queues)


def test_module_names_of_django_rq() -> None:
    from jobq.django_integration.connection_utils import (
        get_connection,
        get_unique_connection_configs,
    )
    from jobq.django_integration.jobs import get_job_class
    from jobq.django_integration.settings import QUEUES, get_queues_map
    from jobq.django_integration.utils import get_jobs, get_statistics

    assert get_connection("high") is get_queue("high").connection
    assert len(get_unique_connection_configs()) == 1
    assert get_job_class() is Job and set(QUEUES) == {"default", "high", "low"}
    assert get_queues_map() == {"default": 0, "high": 1, "low": 2}
    job = get_queue("low", commit_mode="immediate").enqueue("tests.fixtures.jobs.noop")
    rows = {row["name"]: row for row in get_statistics()["queues"]}
    assert rows["low"]["jobs"] == 1 and rows["low"]["index"] == 2
    assert get_jobs(get_queue("low"), [job.id, "gone"]) == [job]


def test_django_rq_template_filters() -> None:
    import datetime as dt

    from django.utils.safestring import SafeString

    from jobq.django_integration.templatetags.django_rq import force_escape, to_localtime

    assert force_escape(SafeString("<b>x</b>")) == "&lt;b&gt;x&lt;/b&gt;"
    assert to_localtime(dt.datetime(2024, 1, 1)).tzinfo is not None


def test_django_rq_logging_handler_in_settings() -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "rq_console": {
                    "class": "jobq.logutils.ColorizingStreamHandler",
                    "exclude": ["%(asctime)s"],
                }
            },
        }
    )


def test_django_rq_url_names_address_queues_by_index(client: Client) -> None:
    client.force_login(superuser())
    job = get_queue("high", commit_mode="immediate").enqueue("tests.fixtures.jobs.noop")
    assert client.get(reverse("admin:django_rq_jobs", args=[1])).status_code == 200
    detail = client.get(reverse("admin:django_rq_job_detail", args=[1, job.id]))
    assert detail.status_code == 200 and job.id in detail.content.decode()
    for name in ("finished_jobs", "failed_jobs", "scheduled_jobs", "started_jobs"):
        assert client.get(reverse(f"admin:django_rq_{name}", args=[1])).status_code == 200
    assert client.get(reverse("admin:django_rq_jobs", args=[9])).status_code == 404
    assert client.get(reverse("admin:django_rq_home_json")).status_code == 200
    client.post(reverse("admin:django_rq_delete_job", args=[1, job.id]))
    assert get_queue("high").count == 0


def test_pages_work_when_only_the_admin_is_mounted(client: Client, settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.django.urls_admin_only"
    client.force_login(superuser())
    get_queue("high", commit_mode="immediate").enqueue("tests.fixtures.jobs.noop")
    assert client.get(reverse("admin:django_rq_home")).status_code == 200
    assert client.get(reverse("admin:django_rq_dashboard_changelist")).status_code == 200
    page = client.get(reverse("admin:django_rq_jobs", args=[1]))
    assert page.status_code == 200 and "/admin/jobq/queue/pages/" in page.content.decode()


def test_rqstats_yaml() -> None:
    out = io.StringIO()
    call_command("rqstats", "-y", stdout=out)
    assert "queues:" in out.getvalue()


def test_worker_job_class_and_queues_of_one_class(settings: Any) -> None:
    worker = get_worker("high", job_class=f"{__name__}.AuditedJob", queue_class=AuditedQueue)
    assert worker.job_class is AuditedJob and isinstance(worker.queues[0], AuditedQueue)
    settings.RQ_QUEUES = {
        **settings.RQ_QUEUES,
        "audited": {**settings.RQ_QUEUES["high"], "QUEUE_CLASS": f"{__name__}.AuditedQueue"},
    }
    from jobq.django_integration import get_queues

    with pytest.raises(ValueError, match="different classes"):
        get_queues("high", "audited")


def test_jobs_run_with_the_workers_job_class() -> None:
    queue = get_queue("high", commit_mode="immediate")
    job = queue.enqueue("tests.django.tasks.job_class_name")
    get_worker("high", job_class=f"{__name__}.AuditedJob", worker_class="jobq.SimpleWorker").work(
        burst=True
    )
    assert job.result == "AuditedJob"


def test_rqcron_loads_the_configuration_and_stores_schedules(monkeypatch: Any) -> None:
    from jobq.django_integration.cron import DjangoCronScheduler

    started: list[DjangoCronScheduler] = []
    monkeypatch.setattr(DjangoCronScheduler, "start", lambda self: started.append(self))
    out = io.StringIO()
    call_command("rqcron", "tests.fixtures.cron_config", stdout=out)
    assert "Starting cron scheduler with 2 jobs..." in out.getvalue()
    (scheduler,) = started
    assert scheduler.connection is get_queue("default").connection


def test_django_cron_scheduler_checks_queues() -> None:
    from jobq.django_integration.cron import DjangoCronScheduler

    scheduler = DjangoCronScheduler()
    assert scheduler.connection is None
    scheduler.register("tests.fixtures.jobs.noop", "high", interval=60)
    assert scheduler.connection is get_queue("high").connection
    with pytest.raises(KeyError):
        scheduler.register("tests.fixtures.jobs.noop", "nowhere", interval=60)


def test_django_rq_pages_render_under_django_rqs_template_names(
    client: Client, settings: Any
) -> None:
    settings.ROOT_URLCONF = "tests.django.urls_admin_only"
    client.force_login(superuser())
    job = get_queue("high", commit_mode="immediate").enqueue("tests.fixtures.jobs.noop")
    pages = {
        reverse("admin:django_rq_dashboard_changelist"): ("django_rq/stats.html", "jobq/dashboard.html"),
        reverse("admin:django_rq_jobs", args=[1]): ("django_rq/jobs.html", "jobq/registry.html"),
        reverse("admin:django_rq_failed_jobs", args=[1]): ("django_rq/failed_jobs.html", "jobq/registry.html"),
        reverse("admin:django_rq_job_detail", args=[1, job.id]): ("django_rq/job_detail.html", "jobq/job.html"),
        reverse("admin:django_rq_workers", args=[1]): ("django_rq/workers.html", "jobq/workers.html"),
        reverse("admin:django_rq_clear", args=[1]): ("django_rq/clear_queue.html", "jobq/confirm.html"),
    }  # fmt: skip
    for url, names in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert {t.name for t in response.templates} >= set(names), url
    assert (
        job.id
        in client.get(reverse("admin:django_rq_job_detail", args=[1, job.id])).content.decode()
    )


def test_a_projects_own_django_rq_template_is_the_one_rendered(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    (tmp_path / "django_rq").mkdir()
    (tmp_path / "django_rq" / "jobs.html").write_text(
        '{% extends "jobq/registry.html" %}{% block content %}PROJECT {{ queue.name }}'
        "{{ block.super }}{% endblock %}"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    settings.ROOT_URLCONF = "tests.django.urls_admin_only"
    client.force_login(superuser())
    page = client.get(reverse("admin:django_rq_jobs", args=[1])).content.decode()
    assert "PROJECT high" in page


def test_django_rq_namespace_reverses_django_rqs_names(client: Client) -> None:
    client.force_login(superuser())
    assert reverse("django_rq:home") == "/django-rq/"
    assert reverse("django_rq:jobs", args=[1]) == "/django-rq/queues/1/"
    assert client.get(reverse("django_rq:jobs", args=[1])).status_code == 200
    assert client.get(reverse("django_rq:home_json")).status_code == 200
    assert client.get(reverse("django_rq:metrics")).status_code == 200
    client.logout()
    assert client.get(reverse("django_rq:jobs", args=[1])).status_code == 302  # to the login


def test_get_jobs_drops_ids_of_jobs_gone_from_the_registry_given() -> None:
    from jobq.django_integration.utils import get_jobs
    from jobq.registry import FailedJobRegistry, StartedJobRegistry

    queue = get_queue("low", commit_mode="immediate")
    job = queue.enqueue("tests.fixtures.jobs.noop")
    for registry in (StartedJobRegistry(queue=queue), FailedJobRegistry(queue=queue)):
        queue.connection.zadd(registry.key, {"gone": 1})
        assert get_jobs(queue, [job.id, "gone"], registry) == [job]
        assert "gone" not in registry
