"""stats.json carries the history; the metrics view carries the run and wait time
histograms and counters per outcome (jobq.metrics); workers can be told not to
record history."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from jobq import Retry
from jobq.django_integration import get_queue
from jobq.django_integration.queues import get_connection
from tests.django.admin_helpers import staff
from tests.django.conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)

SLEEP = "tests.fixtures.jobs.sleep"
FAIL = "tests.fixtures.jobs.fail"


def run_known_mix(manage: Manage) -> None:
    """4 quick jobs, 2 failing (one retried once first), 2 of 0.2 s, through a worker."""
    q = get_queue("default", commit_mode="immediate")
    for i in range(4):
        q.enqueue("tests.fixtures.jobs.add", i, 1)
    q.enqueue(FAIL)
    q.enqueue(FAIL, retry=Retry(max=1))
    q.enqueue(SLEEP, 0.2)
    q.enqueue(SLEEP, 0.2)
    manage.run("rqworker", "--burst", "--name", "hist-django", "default")


@pytest.fixture
def viewer(client: Client) -> Client:
    client.force_login(staff("viewer", "view_queue"))
    return client


def test_stats_json_carries_the_history(viewer: Client, manage: Manage) -> None:
    run_known_mix(manage)
    url = reverse("jobq:stats_json")
    h = viewer.get(url).json()["history"]
    assert h["window"] == "hour" and h["step"] == 10 and len(h["times"]) == 360
    summary = h["queues"]["default"]["summary"]
    assert (summary["finished"], summary["failed"], summary["retried"]) == (6, 2, 1)
    assert set(h["queues"]) == {"default", "high", "low"}
    assert max(h["workers"]) >= 1
    slow = next(r for r in h["functions"] if r["function"] == SLEEP)
    assert slow["finished"] == 2 and 0.18 <= slow["run"]["p95"] <= 0.35
    day = viewer.get(url, {"window": "day"}).json()["history"]
    assert day["step"] == 60 and len(day["times"]) == 1440
    assert day["queues"]["default"]["summary"]["finished"] == 6
    assert "history" not in viewer.get(url, {"window": "none"}).json()
    assert viewer.get(url, {"window": "week"}).status_code == 400


def _value(text: str, line_start: str) -> float:
    match = re.search("^" + re.escape(line_start) + r" (\S+)$", text, re.MULTILINE)
    assert match, f"no line {line_start!r} in:\n{text}"
    return float(match.group(1))


def test_metrics_carry_run_and_wait_histograms_and_outcome_counters(
    viewer: Client, manage: Manage
) -> None:
    run_known_mix(manage)
    text = viewer.get(reverse("jobq:stats_prometheus")).content.decode()
    assert "# TYPE jobq_job_run_seconds histogram" in text
    assert "# TYPE jobq_job_wait_seconds histogram" in text
    assert "# TYPE jobq_jobs_total counter" in text
    labels = f'queue="default",function="{FAIL}"'
    assert _value(text, f'jobq_jobs_total{{{labels},outcome="failed"}}') == 2
    assert _value(text, f'jobq_jobs_total{{{labels},outcome="retried"}}') == 1
    slow = f'queue="default",function="{SLEEP}"'
    assert _value(text, f"jobq_job_run_seconds_count{{{slow}}}") == 2
    assert _value(text, f'jobq_job_run_seconds_bucket{{{slow},le="+Inf"}}') == 2
    assert _value(text, f'jobq_job_run_seconds_bucket{{{slow},le="0.1024"}}') == 0
    assert _value(text, f'jobq_job_run_seconds_bucket{{{slow},le="0.8192"}}') == 2
    assert 0.3 <= _value(text, f"jobq_job_run_seconds_sum{{{slow}}}") <= 0.8
    # cumulative buckets never decrease
    counts = [
        float(v)
        for v in re.findall(
            rf'^jobq_job_wait_seconds_bucket\{{{re.escape(slow)},le="[^"]+"\}} (\S+)$',
            text,
            re.MULTILINE,
        )
    ]
    assert len(counts) == 33 and counts == sorted(counts) and counts[-1] == 2


def test_rqworker_no_history_records_nothing(manage: Manage) -> None:
    get_queue("default", commit_mode="immediate").enqueue("tests.fixtures.jobs.add", 1, 2)
    manage.run("rqworker", "--burst", "--no-history", "default")
    assert not get_connection().keys("*history*")


def test_jobq_history_setting_false_turns_history_off(settings: object) -> None:
    settings.JOBQ = {"HISTORY": False}  # type: ignore[attr-defined]
    from jobq.django_integration import conf

    assert conf.options().history is False
    settings.JOBQ = {"HISTORY": "no"}  # type: ignore[attr-defined]
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="HISTORY"):
        conf.options()


def test_rqstats_interval_redraws_and_ctrl_c_exits_cleanly(manage: Manage) -> None:
    import signal

    from tests.conftest import wait_until

    proc = manage.start("rqstats", "--interval", "0.3")
    wait_until(lambda: manage.log(proc).count("worker(s)") >= 2, timeout=30)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(15) == 0
    out = manage.log(proc)
    assert "Traceback" not in out and "KeyboardInterrupt" not in out
    assert "run p95" in out.splitlines()[0] or "run p95" in out
