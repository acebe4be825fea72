"""Flow control in the admin and the settings (docs/flow-control.md): each queue
shows its limits and what they hold back; changing them needs
``jobq.change_queue_limits``; ``RQ_QUEUES[...]["RATE_LIMIT"]`` reaches Redis when a
worker starts; a Schedule's ``max_instances`` reaches the scheduler."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from jobq import transitions
from jobq.django_integration import get_queue
from jobq.django_integration.conf import parse_queue
from jobq.django_integration.models import Schedule
from jobq.django_integration.scheduling import sync_schedule
from jobq.django_integration.workers import get_worker
from jobq.flow import Rate
from jobq.scheduler import Schedule as RedisSchedule
from tests.django.admin_helpers import staff

pytestmark = pytest.mark.django_db

LIMITS = reverse("jobq:queue_limits", args=["default"])


def test_dashboard_shows_each_queues_limits_and_what_they_hold_back(client: Client) -> None:
    client.force_login(staff("viewer", "view_queue"))
    queue = get_queue("default", commit_mode="immediate")
    queue.set_limits(rate="1/h")
    for _ in range(3):
        queue.enqueue("tests.fixtures.jobs.noop")
    transitions.dequeue(queue.connection, queue.keys, "w", 10, 30_000)  # the one token
    page = client.get(reverse("jobq:dashboard")).content.decode()
    assert "rate 1/h; held back: rate 2, concurrency 0" in page
    assert LIMITS in page


def test_the_limits_page_shows_the_form_only_with_its_own_permission(client: Client) -> None:
    client.force_login(staff("viewer", "view_queue"))
    page = client.get(LIMITS)
    assert page.status_code == 200
    assert 'id="limits-form"' not in page.content.decode()
    assert client.post(LIMITS, {"rate": "20/s"}).status_code == 403
    assert get_queue("default").get_limits().rate is None


def test_a_user_with_change_queue_limits_sets_and_clears_them(client: Client) -> None:
    client.force_login(staff("limiter", "view_queue", "change_queue_limits"))
    assert 'id="limits-form"' in client.get(LIMITS).content.decode()
    response = client.post(LIMITS, {"rate": "20/s", "burst": "5", "concurrency": "3"})
    assert response.status_code == 302
    limits = get_queue("default").get_limits()
    assert (limits.rate, limits.burst, limits.concurrency) == (Rate(20, 1000), 5, 3)
    bad = client.post(LIMITS, {"rate": "fast"})
    assert bad.status_code == 200 and "COUNT/UNIT" in bad.content.decode()
    client.post(LIMITS, {"rate": "", "burst": "", "concurrency": ""})
    assert get_queue("default").get_limits().concurrency is None


def test_rq_queues_rate_limit_is_checked_and_stored_when_a_worker_starts(settings: object) -> None:
    with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT"):
        parse_queue("q", {"URL": "redis://localhost/0", "RATE_LIMIT": "often"})
    with pytest.raises(ImproperlyConfigured, match="CONCURRENCY_LIMIT"):
        parse_queue("q", {"URL": "redis://localhost/0", "CONCURRENCY_LIMIT": 0})
    queues = dict(settings.RQ_QUEUES)  # type: ignore[attr-defined]
    queues["low"] = {**queues["low"], "RATE_LIMIT": "100/m", "CONCURRENCY_LIMIT": 4}
    settings.RQ_QUEUES = queues  # type: ignore[attr-defined]
    get_worker("low")
    limits = get_queue("low").get_limits()
    assert (limits.rate, limits.concurrency) == (Rate(100, 60_000), 4)


def test_a_schedules_max_instances_reaches_the_scheduler() -> None:
    row = Schedule.objects.create(
        name="nightly", func="tests.fixtures.jobs.noop", interval=60, max_instances=1
    )
    handle = sync_schedule(row.pk)
    assert handle is not None
    stored = RedisSchedule.fetch(handle.id, "default", get_queue("default").connection)
    assert stored is not None and stored.max_instances == 1
