"""The page of a running cron scheduler, under jobq's, the admin's and django-rq's
URL names, and the dashboard's list of running cron schedulers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jobq.django_integration import get_connection
from jobq.django_integration.cron import DjangoCronScheduler
from tests.django.admin_helpers import staff

pytestmark = pytest.mark.django_db

PAGE_NAMES = ("jobq:cron_scheduler", "admin:django_rq_cron_scheduler_detail",
              "django_rq:cron_scheduler_detail")  # fmt: skip


@pytest.fixture
def viewer(client: Client) -> Client:
    client.force_login(staff("viewer"))
    return client


@pytest.fixture
def running() -> Iterator[DjangoCronScheduler]:
    """A registered cron scheduler with an interval job and a cron job."""
    scheduler = DjangoCronScheduler(name="nightly")
    scheduler.register(
        "tests.fixtures.jobs.add", "default", args=(1, 2), kwargs={"z": "zed"}, interval=90,
        job_timeout=30, result_ttl=600, meta={"team": "ops"},
    )  # fmt: skip
    scheduler.register("tests.fixtures.jobs.noop", "default", cron="15 3 * * *")
    scheduler.register_birth()
    yield scheduler
    scheduler.register_death()


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_cron_scheduler_page_lists_its_cron_jobs_with_schedule_and_options(
    viewer: Client, running: DjangoCronScheduler, name: str
) -> None:
    response = viewer.get(reverse(name, args=[running.connection_index, "nightly"]))
    assert response.status_code == 200
    assert response.context["scheduler"].name == "nightly"
    rows = response.context["cron_jobs"]
    assert [(r["func_name"], r["queue_name"], r["schedule"]) for r in rows] == [
        ("tests.fixtures.jobs.add", "default", "every 90 seconds"),
        ("tests.fixtures.jobs.noop", "default", "cron: 15 3 * * *"),
    ]
    assert rows[0]["options"] == ["job_timeout=30", "result_ttl=600"]
    page = response.content.decode()
    for shown in ("every 90 seconds", "cron: 15 3 * * *", "job_timeout=30", "zed", "team"):
        assert shown in page


def test_cron_scheduler_page_uses_django_rq_template_name_under_django_rq_names(
    viewer: Client, running: DjangoCronScheduler
) -> None:
    index = running.connection_index
    own = viewer.get(reverse("jobq:cron_scheduler", args=[index, "nightly"]))
    theirs = viewer.get(reverse("django_rq:cron_scheduler_detail", args=[index, "nightly"]))
    assert own.templates[0].name == "jobq/cron_scheduler.html"
    assert [t.name for t in theirs.templates][:2] == [
        "django_rq/cron_scheduler_detail.html",
        "jobq/cron_scheduler.html",
    ]


def test_cron_scheduler_page_shows_next_run_once_its_schedules_are_stored(
    viewer: Client, running: DjangoCronScheduler
) -> None:
    url = reverse("jobq:cron_scheduler", args=[running.connection_index, "nightly"])
    before = viewer.get(url).context["cron_jobs"]
    assert [r["next_enqueue_time"] for r in before] == [None, None]
    running.sync()  # what start() does before its loop
    after = viewer.get(url).context["cron_jobs"]
    assert all(r["next_enqueue_time"] is not None for r in after)
    assert after[1]["next_enqueue_time"].strftime("%H:%M") == "03:15"
    assert all(r["latest_enqueue_time"] is None for r in after)


def test_unknown_cron_scheduler_or_connection_index_is_404(
    viewer: Client, running: DjangoCronScheduler
) -> None:
    for name in PAGE_NAMES:
        assert viewer.get(reverse(name, args=[0, "elsewhere"])).status_code == 404
        assert viewer.get(reverse(name, args=[7, "nightly"])).status_code == 404


def test_a_scheduler_that_ended_has_no_page(viewer: Client, running: DjangoCronScheduler) -> None:
    url = reverse("jobq:cron_scheduler", args=[running.connection_index, "nightly"])
    assert viewer.get(url).status_code == 200
    running.register_death()
    assert viewer.get(url).status_code == 404
    running.register_birth()  # for the fixture's clean-up


def test_cron_scheduler_without_cron_jobs_says_it_has_none(viewer: Client) -> None:
    scheduler = DjangoCronScheduler(connection=get_connection("default"), name="idle")
    scheduler.register_birth()
    try:
        url = reverse("jobq:cron_scheduler", args=[scheduler.connection_index, "idle"])
        response = viewer.get(url)
        assert response.context["cron_jobs"] == []
        assert "No persisted cron jobs found" in response.content.decode()
    finally:
        scheduler.register_death()


def test_dashboard_links_each_running_cron_scheduler(
    viewer: Client, running: DjangoCronScheduler
) -> None:
    page = viewer.get(reverse("jobq:dashboard")).content.decode()
    assert reverse("jobq:cron_scheduler", args=[running.connection_index, "nightly"]) in page
    running.register_death()
    page = viewer.get(reverse("jobq:dashboard")).content.decode()
    assert "nightly" not in page
    running.register_birth()


def test_cron_scheduler_page_follows_the_view_rule(
    client: Client, settings: Any, running: DjangoCronScheduler
) -> None:
    url = reverse("jobq:cron_scheduler", args=[running.connection_index, "nightly"])
    assert "/admin/login/" in client.get(url)["Location"]
    settings.JOBQ = {**getattr(settings, "JOBQ", {}), "VIEW_NEEDS_PERMISSION": True}
    client.force_login(staff("nobody"))
    assert client.get(url).status_code == 403
    client.force_login(staff("reader", "view_queue"))
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405
