"""The admin's queue pages through Django's test client: what each permission
shows and allows, the actions, paging and search, and the stats endpoints."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jobq.django_integration import get_queue
from jobq.status import JobStatus
from tests.django.admin_helpers import failed_job, staff, started_job, superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client: Client) -> Client:
    client.force_login(staff("viewer", "view_queue"))
    return client


@pytest.fixture
def root(client: Client) -> Client:
    client.force_login(superuser())
    return client


def test_admin_index_links_to_the_dashboard(viewer: Client, settings: object) -> None:
    page = viewer.get(reverse("admin:index")).content.decode()
    assert reverse("admin:jobq_queue_changelist") in page
    response = viewer.get(reverse("admin:jobq_queue_changelist"))
    assert response.status_code == 302 and response["Location"] == reverse("jobq:dashboard")


def test_admin_link_can_be_turned_off(viewer: Client, settings: object) -> None:
    settings.JOBQ = {"ALLOWED_MODULES": ["tests"], "SHOW_ADMIN_LINK": False}  # type: ignore[attr-defined]
    page = viewer.get(reverse("admin:index")).content.decode()
    assert reverse("admin:jobq_queue_changelist") not in page
    assert viewer.get(reverse("jobq:dashboard")).status_code == 200


def test_dashboard_counts_every_registry(viewer: Client) -> None:
    q = get_queue(commit_mode="immediate")
    q.enqueue("tests.fixtures.jobs.noop")
    q.enqueue_in(dt.timedelta(hours=1), "tests.fixtures.jobs.noop")
    failed_job()
    page = viewer.get(reverse("jobq:dashboard")).content.decode()
    for name in ("default", "high", "low"):
        assert f'data-queue="{name}"' in page
    assert reverse("jobq:registry", args=["default", "failed"]) in page
    assert "Next due in default" in page


def test_staff_read_the_queue_pages_without_a_permission_as_in_django_rq(client: Client) -> None:
    client.force_login(staff("nobody"))
    job = failed_job()
    assert client.get(reverse("jobq:dashboard")).status_code == 200
    listing = client.get(reverse("jobq:registry", args=["default", "failed"])).content.decode()
    assert job.id in listing and 'name="action"' not in listing and "requeue-all" not in listing
    url = reverse("jobq:job_action", args=["default"])
    assert client.post(url, {"action": "requeue", "job_ids": [job.id]}).status_code == 403
    assert job.get_status() == JobStatus.FAILED


def test_a_user_who_is_not_staff_reads_nothing(client: Client) -> None:
    from django.contrib.auth.models import User

    user = User.objects.create_user("visitor", password="x")
    client.force_login(user)
    assert client.get(reverse("jobq:dashboard")).status_code == 302  # to the admin login
    assert client.get(reverse("jobq:stats_json")).status_code == 403


def test_view_needs_permission_gives_staff_without_view_queue_403(
    client: Client, settings: Any
) -> None:
    settings.JOBQ = {**getattr(settings, "JOBQ", {}), "VIEW_NEEDS_PERMISSION": True}
    client.force_login(staff("nobody"))
    assert client.get(reverse("jobq:dashboard")).status_code == 403
    assert client.get(reverse("jobq:registry", args=["default", "failed"])).status_code == 403
    assert client.get(reverse("jobq:stats_json")).status_code == 403
    assert client.get(reverse("admin:django_rq_home_json")).status_code == 403


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse("jobq:dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_viewer_sees_the_traceback_but_no_buttons_and_forged_posts_get_403(
    viewer: Client,
) -> None:
    job = failed_job()
    page = viewer.get(reverse("jobq:job", args=["default", job.id])).content.decode()
    assert "ZeroDivisionError: boom" in page and "Traceback" in page
    assert 'id="action-requeue"' not in page and 'id="action-delete"' not in page
    listing = viewer.get(reverse("jobq:registry", args=["default", "failed"])).content.decode()
    assert job.id in listing and "requeue-all" not in listing and 'name="action"' not in listing
    url = reverse("jobq:job_action", args=["default"])
    for action in ("requeue", "delete", "cancel"):
        assert viewer.post(url, {"action": action, "job_ids": [job.id]}).status_code == 403
    assert viewer.post(reverse("jobq:empty_queue", args=["default"])).status_code == 403
    assert viewer.post(reverse("jobq:requeue_failed", args=["default"])).status_code == 403
    assert job.get_status() == JobStatus.FAILED


def test_one_permission_shows_one_button(client: Client) -> None:
    client.force_login(staff("requeuer", "view_queue", "requeue_job"))
    job = failed_job()
    page = client.get(reverse("jobq:job", args=["default", job.id])).content.decode()
    assert 'id="action-requeue"' in page and 'id="action-delete"' not in page
    url = reverse("jobq:job_action", args=["default"])
    assert client.post(url, {"action": "delete", "job_ids": [job.id]}).status_code == 403
    assert client.post(url, {"action": "requeue", "job_ids": [job.id]}).status_code == 302
    assert job.get_status() == JobStatus.QUEUED


#: every mutating view: (url name, POST data builder, permission, "unchanged" check)
_ACTION_VIEWS = [
    ("requeue", "requeue_job", JobStatus.FAILED),
    ("delete", "delete_job", JobStatus.FAILED),
    ("cancel", "cancel_job", JobStatus.QUEUED),
    ("stop", "stop_job", JobStatus.STARTED),
    ("enqueue_now", "enqueue_job_now", JobStatus.SCHEDULED),
]


def _job_in(status: JobStatus) -> Any:
    q = get_queue(commit_mode="immediate")
    if status == JobStatus.FAILED:
        return failed_job()
    if status == JobStatus.STARTED:
        return started_job()
    if status == JobStatus.SCHEDULED:
        return q.enqueue_in(dt.timedelta(hours=1), "tests.fixtures.jobs.noop")
    return q.enqueue("tests.fixtures.jobs.noop")


@pytest.mark.parametrize(("action", "permission", "status"), _ACTION_VIEWS)
def test_admin_action_views_need_view_queue_too(
    client: Client, settings: Any, action: str, permission: str, status: JobStatus
) -> None:
    """Where reading needs jobq.view_queue, a staff user with only the action's
    permission: 403 on the dashboard, and 403 on the action, asked (GET), unconfirmed
    or confirmed."""
    settings.JOBQ = {**getattr(settings, "JOBQ", {}), "VIEW_NEEDS_PERMISSION": True}
    client.force_login(staff("only-" + action, permission))
    job = _job_in(status)
    assert client.get(reverse("jobq:dashboard")).status_code == 403
    url = reverse("jobq:job_action", args=["default"])
    assert client.get(url, {"action": action, "job_ids": [job.id]}).status_code in (403, 405)
    data = {"action": action, "job_ids": [job.id]}
    assert client.post(url, data).status_code == 403
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 403
    assert job.get_status() == status


@pytest.mark.parametrize(
    ("view", "permission"), [("empty_queue", "empty_queue"), ("requeue_failed", "requeue_job")]
)
def test_admin_queue_action_views_need_view_queue_too(
    client: Client, settings: Any, view: str, permission: str
) -> None:
    settings.JOBQ = {**getattr(settings, "JOBQ", {}), "VIEW_NEEDS_PERMISSION": True}
    client.force_login(staff("only-" + view, permission))
    failed = failed_job()
    queued = get_queue(commit_mode="immediate").enqueue("tests.fixtures.jobs.noop")
    url = reverse(f"jobq:{view}", args=["default"])
    assert client.get(url).status_code in (403, 405)
    assert client.post(url).status_code == 403
    assert client.post(url, {"confirmed": "1"}).status_code == 403
    assert failed.get_status() == JobStatus.FAILED
    assert queued.get_status() == JobStatus.QUEUED


def test_actions_need_post_and_csrf(root: Client) -> None:
    job = failed_job()
    url = reverse("jobq:job_action", args=["default"])
    assert root.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(superuser("root2"))
    assert strict.post(url, {"action": "requeue", "job_ids": [job.id]}).status_code == 403
    assert job.get_status() == JobStatus.FAILED


def test_delete_asks_for_confirmation_first(root: Client) -> None:
    job = failed_job()
    url = reverse("jobq:job_action", args=["default"])
    first = root.post(url, {"action": "delete", "job_ids": [job.id]})
    assert first.status_code == 200 and b'name="confirmed"' in first.content
    assert job.get_status() == JobStatus.FAILED
    second = root.post(url, {"action": "delete", "job_ids": [job.id], "confirmed": "1"})
    assert second.status_code == 302
    assert get_queue().fetch_job(job.id) is None


def test_bulk_requeue_and_requeue_all_failed(root: Client) -> None:
    jobs = [failed_job() for _ in range(3)]
    url = reverse("jobq:job_action", args=["default"])
    root.post(url, {"action": "requeue", "job_ids": [jobs[0].id, jobs[1].id]})
    assert [j.get_status() for j in jobs] == ["queued", "queued", "failed"]
    root.post(reverse("jobq:requeue_failed", args=["default"]))
    assert jobs[2].get_status() == JobStatus.QUEUED


def test_enqueue_now_stop_and_cancel(root: Client) -> None:
    q = get_queue(commit_mode="immediate")
    later = q.enqueue_in(dt.timedelta(hours=1), "tests.fixtures.jobs.noop")
    running = started_job()
    waiting = q.enqueue("tests.fixtures.jobs.noop")
    url = reverse("jobq:job_action", args=["default"])
    root.post(url, {"action": "enqueue_now", "job_ids": [later.id]})
    assert later.get_status() == JobStatus.QUEUED
    root.post(url, {"action": "stop", "job_ids": [running.id], "confirmed": "1"})
    assert running.get_status() == JobStatus.STOPPED
    assert running.id not in q.started_job_registry
    assert running.id in q.failed_job_registry
    root.post(url, {"action": "cancel", "job_ids": [waiting.id], "confirmed": "1"})
    assert waiting.get_status() == JobStatus.CANCELED


def test_an_action_on_a_job_that_moved_on_reports_an_error(root: Client) -> None:
    job = get_queue(commit_mode="immediate").enqueue("tests.fixtures.jobs.noop")
    url = reverse("jobq:job_action", args=["default"])
    response = root.post(url, {"action": "requeue", "job_ids": [job.id]}, follow=True)
    assert "not in a state that allows requeue" in response.content.decode()


def test_empty_queue_after_confirmation(root: Client) -> None:
    q = get_queue(commit_mode="immediate")
    for _ in range(3):
        q.enqueue("tests.fixtures.jobs.noop")
    url = reverse("jobq:empty_queue", args=["default"])
    assert b"3 queued jobs" in root.post(url).content
    assert q.count == 3
    root.post(url, {"confirmed": "1"})
    assert q.count == 0


def test_paging_and_search(viewer: Client) -> None:
    q = get_queue(commit_mode="immediate")
    ids = [q.enqueue("tests.fixtures.jobs.noop").id for _ in range(30)]
    url = reverse("jobq:registry", args=["default", "queued"])
    first = viewer.get(url).content.decode()
    assert ids[0] in first and ids[24] in first and ids[25] not in first
    assert "page 1 of 2" in first
    last = viewer.get(url, {"page": 2}).content.decode()
    assert ids[25] in last and ids[0] not in last
    found = viewer.get(url, {"q": ids[29]}).content.decode()
    assert ids[29] in found and ids[0] not in found
    none = viewer.get(reverse("jobq:registry", args=["default", "failed"]), {"q": ids[0]})
    assert reverse("jobq:job", args=["default", ids[0]]) not in none.content.decode()


def test_unknown_queue_registry_or_job_is_404(viewer: Client) -> None:
    assert viewer.get(reverse("jobq:registry", args=["nope", "queued"])).status_code == 404
    assert viewer.get(reverse("jobq:registry", args=["default", "nope"])).status_code == 404
    assert viewer.get(reverse("jobq:job", args=["default", "ghost"])).status_code == 404


def test_job_page_shows_progress_and_dependencies(viewer: Client) -> None:
    q = get_queue(commit_mode="immediate")
    parent = q.enqueue("tests.fixtures.jobs.noop")
    child = q.enqueue("tests.fixtures.jobs.add", 1, 2, depends_on=parent)
    child.set_progress(3, 10)
    page = viewer.get(reverse("jobq:job", args=["default", child.id])).content.decode()
    assert '<progress id="progress" value="3" max="10">' in page
    assert reverse("jobq:job", args=["default", parent.id]) in page
    assert "tests.fixtures.jobs.add" in page and "deferred" in page


def test_stats_json_and_prometheus_for_staff_or_token(
    client: Client, settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.JOBQ = {"ALLOWED_MODULES": ["tests"], "API_TOKEN": "s3cret"}  # type: ignore[attr-defined]
    failed_job()
    url, metrics = reverse("jobq:stats_json"), reverse("jobq:stats_prometheus")
    assert client.get(url).status_code == 401
    wrong = client.get(url, HTTP_AUTHORIZATION="Bearer wrong")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    ok = client.get(url, HTTP_AUTHORIZATION="Bearer s3cret")
    assert ok.status_code == 200 and ok.json()["queues"]["default"]["failed"] == 1
    text = client.get(metrics, HTTP_AUTHORIZATION="Bearer s3cret").content.decode()
    assert 'jobq_jobs{queue="default",registry="failed"} 1' in text
    client.force_login(staff("viewer", "view_queue"))
    assert client.get(metrics).status_code == 200
    call_command("rqstats", "--json")
    assert json.loads(capsys.readouterr().out) == client.get(url, {"window": "minute"}).json()


def test_stats_accept_django_rqs_rq_api_token_setting(client: Client, settings: object) -> None:
    settings.RQ_API_TOKEN = "from-django-rq"  # type: ignore[attr-defined]
    for name in ("jobq:stats_json", "admin:django_rq_home_json", "admin:django_rq_metrics"):
        url = reverse(name)
        assert client.get(url, HTTP_AUTHORIZATION="Bearer from-django-rq").status_code == 200
        assert client.get(url, HTTP_AUTHORIZATION="Bearer other").status_code == 401
        assert client.get(url).status_code == 401


def test_stats_are_read_by_staff_as_in_django_rq(client: Client) -> None:
    client.force_login(staff("nobody"))
    assert client.get(reverse("jobq:stats_json")).status_code == 200
    assert client.get(reverse("admin:django_rq_home_json")).status_code == 200


def test_schedule_admin_actions_and_record_filters(root: Client) -> None:
    from jobq.django_integration.models import JobRecord, Schedule

    schedule = Schedule.objects.create(
        name="report", func="tests.fixtures.jobs.add", args=[1, 2], interval=3600
    )
    url = reverse("admin:jobq_schedule_changelist")
    root.post(url, {"action": "pause", "_selected_action": [schedule.pk]})
    schedule.refresh_from_db()
    assert not schedule.enabled
    root.post(url, {"action": "resume", "_selected_action": [schedule.pk]})
    schedule.refresh_from_db()
    assert schedule.enabled
    root.post(url, {"action": "run_now", "_selected_action": [schedule.pk]})
    run = JobRecord.objects.get(schedule=schedule)
    assert run.func == "tests.fixtures.jobs.add" and run.args == [1, 2]
    change = root.get(reverse("admin:jobq_schedule_change", args=[schedule.pk]))
    assert run.job_id in change.content.decode()
    records = root.get(reverse("admin:jobq_jobrecord_changelist"), {"status__exact": "queued"})
    assert records.status_code == 200 and run.job_id in records.content.decode()


def test_dashboard_shows_workers_and_the_scheduler_lock(viewer: Client) -> None:
    from jobq.scheduler.lock import SchedulerLock
    from jobq.worker.maintenance import Maintenance, WorkerRecord

    connection = get_queue().connection
    record = WorkerRecord("w-admin", ["default"], 1)
    Maintenance(connection, [], record, lease_seconds=30).publish("busy", ["j1"], 4, 2)
    lock = SchedulerLock(connection, token="host:1:abc")
    assert lock.hold()
    page = viewer.get(reverse("jobq:dashboard")).content.decode()
    assert "w-admin" in page and "busy" in page and "host:1:abc" in page
    lock.release()


def test_a_finished_schedule_is_not_shown_enabled(root: Client) -> None:
    from jobq.django_integration.models import Schedule

    Schedule.objects.create(
        name="done", func="tests.fixtures.jobs.noop", interval=60, repeat=2, runs=2
    )
    Schedule.objects.create(name="going", func="tests.fixtures.jobs.noop", interval=60)
    Schedule.objects.create(
        name="held", func="tests.fixtures.jobs.noop", interval=60, enabled=False
    )
    page = root.get(reverse("admin:jobq_schedule_changelist")).content.decode()
    states = dict(
        re.findall(
            r'<th class="field-name"><a [^>]*>(\w+)</a></th>.*?<td class="field-state">(\w+)</td>',
            page,
            re.S,
        )
    )
    assert states == {"done": "finished", "going": "enabled", "held": "paused"}
    assert "icon-yes" not in page


def test_queues_appears_once_in_the_admin_menu_and_dashboard(root: Client) -> None:
    index = root.get(reverse("admin:index")).content.decode()
    assert len(re.findall(r">\s*Queues\s*</a>", index)) == 1
    page = root.get(reverse("jobq:dashboard")).content.decode()
    headings = re.findall(r"<h[12][^>]*>\s*([^<]+?)\s*</h[12]>", page)
    assert headings.count("Queues") == 1, headings
    assert len(re.findall(r'<a href="/admin/jobq/queue/"[^>]*>\s*Queues\s*</a>', page)) <= 1


def test_record_and_schedule_pages_show_times_with_seconds(root: Client) -> None:
    from jobq.django_integration.models import JobRecord, Schedule

    at = dt.datetime(2026, 3, 1, 9, 47, 5, tzinfo=dt.UTC)
    record = JobRecord.objects.create(
        job_id="j-seconds", queue="default", func="m.f", status="finished",
        enqueued_at=at, started_at=at, ended_at=at + dt.timedelta(seconds=2),
    )  # fmt: skip
    page = root.get(reverse("admin:jobq_jobrecord_change", args=[record.pk])).content.decode()
    assert ":47:05" in page and ":47:07" in page, page
    listing = root.get(reverse("admin:jobq_jobrecord_changelist")).content.decode()
    assert ":47:05" in listing
    schedule = Schedule.objects.create(name="s", func="tests.fixtures.jobs.noop", interval=60)
    Schedule.objects.filter(pk=schedule.pk).update(last_run_at=at)
    page = root.get(reverse("admin:jobq_schedule_change", args=[schedule.pk])).content.decode()
    assert ":47:05" in page


def test_the_page_of_a_job_gone_from_redis_leads_to_its_record(root: Client) -> None:
    job = get_queue("default", commit_mode="immediate").enqueue("tests.fixtures.jobs.noop")
    job.delete()
    response = root.get(reverse("jobq:job", args=["default", job.id]))
    assert response.status_code == 302 and "/admin/jobq/jobrecord/" in response["Location"]
    page = root.get(response["Location"]).content.decode()
    assert "Deleted" in page and "is no longer in Redis" in page
    assert root.get(reverse("jobq:job", args=["default", "never-was"])).status_code == 404
