"""The admin's worker pages, result pages, a job's dependents and results, and what the
pages do when Redis holds something unreadable or a configured Redis is down."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from jobq import keys
from jobq.django_integration import conf, get_queue
from jobq.django_integration.workers import get_worker
from jobq.results import Result
from tests.django.admin_helpers import staff

pytestmark = pytest.mark.django_db(transaction=True)  # workers close the connection

#: nothing listens on port 1: connections are refused at once
DEAD_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def viewer(client: Client) -> Client:
    client.force_login(staff("viewer"))
    return client


@pytest.fixture
def with_dead_queue(settings: Any) -> Any:
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "dead": {"URL": DEAD_URL}}
    return settings


def _run(queue_name: str = "high") -> None:
    get_worker(queue_name, worker_class="jobq.SimpleWorker").work(burst=True)


def test_dashboard_shows_a_queue_whose_redis_is_down_and_counts_the_others(
    viewer: Client, with_dead_queue: Any
) -> None:
    get_queue("high", commit_mode="auto").enqueue("tests.fixtures.jobs.noop")
    response = viewer.get(reverse("jobq:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-queue="dead" class="unreachable"' in page
    assert "Connection refused" in page
    assert 'data-queue="high"' in page and reverse("jobq:registry", args=["high", "queued"]) in page


def test_a_redis_that_was_down_is_not_waited_for_again_at_once(
    viewer: Client, with_dead_queue: Any
) -> None:
    viewer.get(reverse("jobq:dashboard"))
    down = dict(conf.memo()["unreachable"])
    assert len(down) == 1  # the dead server, until a time 10 s ahead
    page = viewer.get(reverse("jobq:dashboard")).content.decode()
    assert conf.memo()["unreachable"] == down  # not tried again: a try would move it
    assert 'data-queue="dead" class="unreachable"' in page


def test_metrics_serve_the_reachable_queues_and_flag_the_dead_one(
    viewer: Client, with_dead_queue: Any
) -> None:
    get_queue("high", commit_mode="auto").enqueue("tests.fixtures.jobs.noop")
    response = viewer.get(reverse("jobq:stats_prometheus"))
    assert response.status_code == 200
    lines = set(response.content.decode().splitlines())
    assert 'jobq_queue_reachable{queue="dead"} 0' in lines
    assert 'jobq_queue_reachable{queue="high"} 1' in lines
    assert 'jobq_jobs{queue="high",registry="queued"} 1' in lines
    assert 'rq_jobs{queue="high",status="queued"} 1.0' in lines
    assert not any('queue="dead",registry' in line for line in lines)


def test_metrics_carry_django_rqs_families(viewer: Client) -> None:
    queue = get_queue("high", commit_mode="auto")
    queue.enqueue("tests.fixtures.jobs.noop")
    queue.enqueue("tests.fixtures.jobs.fail", "boom")
    _run()
    worker = get_worker("high", name="w-metrics")
    worker.register_birth()
    lines = set(viewer.get(reverse("jobq:stats_prometheus")).content.decode().splitlines())
    assert "# HELP rq_jobs RQ jobs by status" in lines
    assert 'rq_jobs{queue="high",status="finished"} 1.0' in lines
    assert 'rq_jobs{queue="high",status="failed"} 1.0' in lines
    assert 'rq_workers{name="w-metrics",queues="high",state="idle"} 1.0' in lines
    assert 'rq_job_successful_total{name="w-metrics",queues="high"} 0.0' in lines
    assert 'rq_job_failed_total{name="w-metrics",queues="high"} 0.0' in lines


def test_workers_page_lists_the_workers_of_that_queue_only(viewer: Client) -> None:
    mine = get_worker("high", name=uuid.uuid4().hex)
    mine.register_birth()
    other = get_worker("low", name=uuid.uuid4().hex)
    other.register_birth()
    response = viewer.get(reverse("admin:django_rq_workers", args=[1]))  # "high"
    assert response.status_code == 200
    assert response.context["workers"] == [mine]
    page = response.content.decode()
    assert mine.name in page and other.name not in page
    assert reverse("jobq:worker", args=["high", mine.key]) in page


def test_worker_page_finds_the_worker_by_its_key(viewer: Client) -> None:
    worker = get_worker("high", name=uuid.uuid4().hex)
    worker.register_birth()
    response = viewer.get(reverse("admin:django_rq_worker_details", args=[1, worker.key]))
    assert response.status_code == 200
    assert response.context["worker"] == worker
    assert response.context["worker"].queue_names == ["high"]
    assert {t.name for t in response.templates} >= {
        "django_rq/worker_details.html",
        "jobq/worker.html",
    }
    gone = reverse("admin:django_rq_worker_details", args=[1, keys.worker("nobody")])
    assert viewer.get(gone).status_code == 404
    foreign = reverse("admin:django_rq_worker_details", args=[1, "rq:worker:x"])
    assert viewer.get(foreign).status_code == 404


def test_worker_handles_are_equal_by_name(connection: Any) -> None:
    worker = get_worker("high", name="same-name")
    worker.register_birth()
    found = type(worker).find_by_key(worker.key, worker.connection)
    assert found == worker and hash(found) == hash(worker)
    assert found != get_worker("high", name="another-name")
    assert type(worker).find_by_key(keys.worker("never-born"), worker.connection) is None


def test_job_page_shows_a_corrupt_payload_as_a_deserialization_error(viewer: Client) -> None:
    queue = get_queue("high", commit_mode="auto")
    job = queue.enqueue("tests.fixtures.jobs.echo", 1, 2)
    queue.connection.hset(job.key, "data", "not json at all")
    response = viewer.get(reverse("jobq:job", args=["high", job.id]))
    assert response.status_code == 200
    assert 'id="payload-error"' in response.content.decode()
    assert "DeserializationError" in response.content.decode()
    listing = viewer.get(reverse("jobq:registry", args=["high", "queued"]))
    assert listing.status_code == 200 and job.id in listing.content.decode()


def test_job_page_links_its_dependents_and_marks_one_that_is_gone(viewer: Client) -> None:
    queue = get_queue("high", commit_mode="auto")
    parent = queue.enqueue("tests.fixtures.jobs.noop")
    child = queue.enqueue("tests.fixtures.jobs.noop", depends_on=parent)
    expired = queue.enqueue("tests.fixtures.jobs.noop", depends_on=parent)
    queue.connection.delete(expired.key)  # as when its hash's TTL ran out
    page = viewer.get(reverse("jobq:job", args=["high", parent.id])).content.decode()
    assert f'href="{reverse("jobq:job", args=["high", child.id])}"' in page
    assert f"{expired.id} (Deleted)" in page
    assert reverse("jobq:job", args=["high", expired.id]) not in page


def test_job_page_lists_its_result_linked_to_the_result_page(viewer: Client) -> None:
    queue = get_queue("high", commit_mode="auto")
    job = queue.enqueue("tests.fixtures.jobs.add", 2, 3)
    _run()
    (result,) = job.results()
    response = viewer.get(reverse("admin:django_rq_job_detail", args=[1, job.id]))
    page = response.content.decode()
    assert "Created At" in page and "SUCCESSFUL" in page
    assert reverse("admin:django_rq_result_detail", args=[1, job.id, result.id]) in page
    own = viewer.get(reverse("jobq:job", args=["high", job.id])).content.decode()
    assert reverse("jobq:result", args=["high", job.id, result.id]) in own


def test_result_page_shows_a_return_value(viewer: Client) -> None:
    queue = get_queue("high", commit_mode="auto")
    job = queue.enqueue("tests.fixtures.jobs.add", 2, 3)
    _run()
    (result,) = job.results()
    response = viewer.get(reverse("admin:django_rq_result_detail", args=[1, job.id, result.id]))
    assert response.status_code == 200
    assert {t.name for t in response.templates} >= {
        "django_rq/result_detail.html",
        "jobq/result.html",
    }
    page = response.content.decode()
    assert result.type is Result.Type.SUCCESSFUL and "SUCCESSFUL" in page
    assert '<pre id="result-value">5</pre>' in page
    assert result.worker_name and result.worker_name in page


def test_result_page_shows_the_exception_escaped_and_404s_for_unknown_ids(viewer: Client) -> None:
    queue = get_queue("high", commit_mode="auto")
    job = queue.enqueue("tests.fixtures.jobs.fail", "<b>bad</b>")
    _run()
    (result,) = job.results()
    assert result.type is Result.Type.FAILED and result.exc_string
    page = viewer.get(reverse("jobq:result", args=["high", job.id, result.id])).content.decode()
    assert escape(result.exc_string) in page and "<b>bad</b>" not in page
    assert "FAILED" in page and str(result.worker_name) in page
    unknown = reverse("jobq:result", args=["high", job.id, "no-such-result"])
    assert viewer.get(unknown).status_code == 404
    assert viewer.get(reverse("jobq:result", args=["high", "no-job", "x"])).status_code == 404


def test_result_and_worker_pages_need_a_staff_login(client: Client) -> None:
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("visitor", password="x"))
    worker = get_worker("high", name=uuid.uuid4().hex)
    worker.register_birth()
    for url in (
        reverse("jobq:workers", args=["high"]),
        reverse("jobq:worker", args=["high", worker.key]),
        reverse("jobq:result", args=["high", "any", "any"]),
    ):
        assert client.get(url).status_code == 302  # to the admin login


@pytest.mark.parametrize("field", ["status", "deps", "data", "meta", "created", "progress"])
def test_a_job_with_a_corrupt_field_still_has_its_pages(viewer: Client, field: str) -> None:
    queue = get_queue("high", commit_mode="auto")
    job = queue.enqueue("tests.fixtures.jobs.echo", 1)
    queue.connection.hset(job.key, field, "\x00{not what jobq wrote")
    assert viewer.get(reverse("jobq:job", args=["high", job.id])).status_code == 200
    listing = viewer.get(reverse("jobq:registry", args=["high", "queued"]))
    assert listing.status_code == 200 and job.id in listing.content.decode()
    found = viewer.get(reverse("jobq:registry", args=["high", "queued"]), {"q": job.id})
    assert found.status_code == 200
