"""django-rq's cron scheduler views of jobq: which of ``RQ_QUEUES``' distinct Redis
connections a cron scheduler uses, and the running cron schedulers of them all."""

from __future__ import annotations

from typing import Any

import pytest

from jobq.django_integration.cron import DjangoCronScheduler
from jobq.django_integration.utils import get_cron_schedulers


@pytest.fixture
def two_redis(settings: Any, redis_url: str) -> str:
    """Queue "other" on another database of the same server."""
    other = redis_url.rsplit("/", 1)[0] + "/1"
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "other": {"URL": other}}
    return other


def test_connection_index_names_the_schedulers_redis(two_redis: str) -> None:
    scheduler = DjangoCronScheduler()
    with pytest.raises(ValueError, match="no connection"):
        scheduler.connection_index  # noqa: B018
    scheduler.register("tests.fixtures.jobs.noop", "other", interval=60)
    on_default = DjangoCronScheduler()
    on_default.register("tests.fixtures.jobs.noop", "default", interval=60)
    # distinct connections in queue-name order: default/high/low share one, other is next
    assert (on_default.connection_index, scheduler.connection_index) == (0, 1)


def test_running_cron_schedulers_of_every_connection_are_listed(two_redis: str) -> None:
    first = DjangoCronScheduler(name="cron-a")
    first.register("tests.fixtures.jobs.noop", "default", interval=60)
    second = DjangoCronScheduler(name="cron-b")
    second.register("tests.fixtures.jobs.add", "other", cron="*/5 * * * *", args=(1, 2))
    assert get_cron_schedulers() == []
    first.register_birth()
    second.register_birth()
    second.heartbeat()
    listed = {s.name: s for s in get_cron_schedulers()}
    assert set(listed) == {"cron-a", "cron-b"}
    assert listed["cron-b"].last_heartbeat is not None
    assert [j.describe() for j in listed["cron-b"].get_jobs()] == ["cron: */5 * * * *"]
    assert listed["cron-b"].get_jobs_data()[0]["args"] == (1, 2)
    first.register_death()
    assert [s.name for s in get_cron_schedulers()] == ["cron-b"]
