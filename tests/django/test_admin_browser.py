"""The admin's queue pages in headless Chromium (Debian's ``chromium`` driven by
Playwright) against a live server, with a real worker process where jobs run.

Skipped when chromium is missing outside CI; in CI (``CI`` set) a missing
browser fails the run. Screenshots go to ``artifacts/`` (git-ignored).

They run in the PostgreSQL pass of ``make pytest`` only: the browser exercises the
pages, not the database backend, and on SQLite the live server's request threads
intermittently crashed CPython's sqlite3 module (a segfault in ``execute``) when
these tests ran together — a crash of the test process, not a failure of jobq.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from jobq.django_integration import get_queue
from jobq.django_integration.models import JobRecord, Schedule
from jobq.job import new_job_id
from jobq.status import JobStatus
from jobq.worker.maintenance import list_workers
from tests.conftest import ROOT, wait_until
from tests.django.admin_helpers import failed_job, staff, superuser
from tests.django.conftest import Manage

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ARTIFACTS = ROOT / "artifacts"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("JOBQ_TEST_DB", "sqlite") != "postgres",
        reason="browser tests run in the PostgreSQL pass (SQLite + live-server threads segfault)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: apt-get install chromium (.ci/run does)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the
    # tests are still synchronous ones (Playwright's documented Django setting)
    with pytest.MonkeyPatch.context() as mp, sync_api.sync_playwright() as p:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def logged_in(browser: Any, live_server: Any) -> Iterator[Callable[[User], Any]]:
    """Makes pages whose browser carries a user's session cookie (no login typing).

    Contexts are closed, and Playwright's objects collected, here in the main thread:
    a greenlet freed by a garbage collection in a live-server thread crashes Python."""
    contexts: list[Any] = []

    def page_for(user: User) -> Any:
        client = Client()
        client.force_login(user)
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        return context.new_page()

    gc.disable()
    try:
        yield page_for
    finally:
        for context in contexts:
            context.close()
        contexts.clear()
        gc.enable()
        gc.collect()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_viewer_reads_but_cannot_act(logged_in: Callable[[User], Any]) -> None:
    job = failed_job()
    page = logged_in(staff("viewer", "view_queue"))
    page.goto("/admin/")
    page.click("text=Queues")
    assert page.url.endswith("/admin/jobq/")
    assert page.locator('#queues tr[data-queue="default"] .count-failed').inner_text() == "1"
    screenshot(page, "dashboard.png")
    page.click('#queues tr[data-queue="default"] .count-failed a')
    page.click(f"text={job.id}")
    assert "ZeroDivisionError: boom" in page.locator("#traceback").inner_text()
    assert page.locator("input.button").count() == 0
    screenshot(page, "job.png")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forged = page.request.post(
        "/admin/jobq/queues/default/actions/",
        form={"action": "delete", "job_ids": job.id, "confirmed": "1"},
        headers={"X-CSRFToken": token},
    )
    assert forged.status == 403
    assert job.get_status() == JobStatus.FAILED


def test_superuser_requeues_empties_and_watches_progress(
    logged_in: Callable[[User], Any], manage: Manage, tmp_path: Path
) -> None:
    worker = manage.start("rqworker", "default")
    q = get_queue("default", commit_mode="immediate")
    flaky = q.enqueue("tests.fixtures.jobs.fail_until", str(tmp_path / "n"), 1)
    wait_until(lambda: flaky.get_status() == JobStatus.FAILED, timeout=30)
    page = logged_in(superuser())

    page.goto(f"/admin/jobq/queues/default/jobs/{flaky.id}/")
    page.click("#action-requeue")
    wait_until(lambda: flaky.get_status() == JobStatus.FINISHED, timeout=30)
    page.goto(f"/admin/jobq/queues/default/jobs/{flaky.id}/")
    assert page.locator("#status").inner_text() == "finished"

    low = get_queue("low", commit_mode="immediate")
    for _ in range(3):
        low.enqueue("tests.fixtures.jobs.noop")
    page.goto("/admin/jobq/queues/low/queued/")
    page.click("#empty-queue")
    assert "3 queued jobs" in page.content() and low.count == 3
    page.click("#confirm")
    assert low.count == 0 and "0 jobs" in page.content()

    long = q.enqueue("tests.fixtures.jobs.progress", 40, 0.1)
    wait_until(lambda: long.get_status() == JobStatus.STARTED and long.progress, timeout=30)
    page.goto(f"/admin/jobq/queues/default/jobs/{long.id}/")
    first = int(page.locator("#progress").get_attribute("value"))
    time.sleep(1.5)  # the page of a running job reloads itself every second
    later = int(page.locator("#progress").get_attribute("value"))
    assert later > first, (first, later)
    assert worker.poll() is None, manage.log(worker)


def test_schedule_page_lists_its_runs(logged_in: Callable[[User], Any]) -> None:
    schedule = Schedule.objects.create(
        name="report", func="tests.fixtures.jobs.add", args=[1, 2], interval=3600, enabled=False
    )
    for i, status in enumerate(("finished", "failed")):
        JobRecord.objects.create(
            job_id=f"run-{i}", queue="default", func=schedule.func, status=status,
            result=3 if status == "finished" else None, schedule=schedule,
        )  # fmt: skip
    page = logged_in(superuser())
    page.goto(f"/admin/jobq/schedule/{schedule.pk}/change/")
    finished = page.locator("tr.has_original", has_text="run-0").inner_text()
    failed = page.locator("tr.has_original", has_text="run-1").inner_text()
    assert re.search(r"Finished\s+.*\b3\b", finished, re.S), finished
    assert "Failed" in failed, failed


def test_the_schedule_admin_refuses_a_cron_that_never_matches(
    logged_in: Callable[[User], Any],
) -> None:
    page = logged_in(superuser())
    page.goto("/admin/jobq/schedule/add/")
    page.fill("#id_name", "never")
    page.fill("#id_func", "tests.fixtures.jobs.noop")
    page.fill("#id_cron", "0 0 30 2 *")
    page.click("input[name=_save]")
    assert "never matches a future time" in page.locator(".field-cron .errorlist").inner_text()
    assert not Schedule.objects.filter(name="never").exists()


def test_job_records_fit_a_1280_px_screen(logged_in: Callable[[User], Any]) -> None:
    from django.utils import timezone

    schedule = Schedule.objects.create(name="nightly report", func="tests.fixtures.jobs.noop")
    for _ in range(30):
        JobRecord.objects.create(
            job_id=new_job_id(),
            queue="default", func="examples.django_demo.demo.tasks.make_thumbnail",
            status="finished", worker="host.example.org.12345.abcdef",
            enqueued_at=timezone.now(), schedule=schedule,
        )  # fmt: skip
    page = logged_in(superuser())
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/admin/jobq/jobrecord/")
    page.screenshot(path=str(ARTIFACTS / "job-records-1280.png"))
    table = page.locator("#result_list").bounding_box()
    box = page.locator("#changelist-form .results").bounding_box()
    assert table is not None and box is not None
    assert table["x"] + table["width"] <= box["x"] + box["width"] + 1  # nothing cut off
    assert box["x"] + box["width"] <= 1280
    hidden = page.locator("#changelist-form .results").evaluate(
        "e => e.scrollWidth - e.clientWidth"
    )
    assert hidden <= 0


def test_a_worker_killed_with_sigkill_is_shown_dead_with_its_job_and_each_attempt(
    logged_in: Callable[[User], Any], manage: Manage
) -> None:
    import os
    import signal

    q = get_queue("default", commit_mode="immediate")
    job = q.enqueue("tests.fixtures.jobs.sleep", 2)
    # a lease long enough that the job is still held, lease and all, when the page says
    # dead (3 s of silence) on a loaded machine
    doomed = manage.start("rqworker", "--lease", "15", "--name", "doomed", "default")
    wait_until(lambda: job.get_status() == JobStatus.STARTED, timeout=30)
    page = logged_in(superuser())
    page.goto("/admin/jobq/")
    row = page.locator('#workers tr[data-worker="doomed"]')
    assert row.locator(".state").inner_text() in ("busy", "idle")
    assert row.locator(f'.jobs a[href$="/jobs/{job.id}/"]').count() == 1
    assert "[]" not in page.locator("#workers").inner_text()
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()
    killed = time.monotonic()
    # the dashboard reloads itself every second: it says so within a few seconds
    page.wait_for_function(
        "() => document.querySelector('#workers tr[data-worker=\"doomed\"] .state')"
        "?.innerText.includes('dead') && document.querySelector("
        "'#workers tr[data-worker=\"doomed\"] .jobs')?.innerText.includes('back to its queue at')",
        timeout=10_000,
    )
    assert time.monotonic() - killed < 8  # missed heartbeats: dead after 3 s
    held = row.locator(".jobs").inner_text()
    assert job.id in held and "back to its queue at" in held, held
    screenshot(page, "dashboard-dead-worker.png")
    page.goto(f"/admin/jobq/queues/default/jobs/{job.id}/")
    worker = page.locator("#worker").inner_text()
    assert "dead" in worker and "goes back to its queue when its lease expires" in worker
    assert re.search(r"\d\d:\d\d:\d\d", worker), worker  # times show seconds

    manage.start("rqworker", "--lease", "6", "--name", "heir", "default")
    wait_until(lambda: job.get_status() == JobStatus.FINISHED, timeout=45)
    page.goto(f"/admin/jobq/queues/default/jobs/{job.id}/")
    attempts = [r.inner_text() for r in page.locator("#attempts tr.attempt").all()]
    assert len(attempts) == 2, attempts
    assert "doomed" in attempts[0] and "worker died" in attempts[0]
    assert "heir" in attempts[1] and "finished" in attempts[1]
    assert " / " not in page.locator("#job").inner_text()  # no "Attempts 2 / 1"
    screenshot(page, "job-attempts.png")


def test_the_job_page_shows_why_it_failed_and_no_old_traceback_once_requeued(
    logged_in: Callable[[User], Any],
) -> None:
    from tests.django.admin_helpers import take

    job = failed_job(message="ValueError: no such photo")
    page = logged_in(superuser())
    page.goto(f"/admin/jobq/queues/default/jobs/{job.id}/")
    assert "ValueError: no such photo" in page.locator("#reason").inner_text()
    assert re.search(r"\d\d:\d\d:\d\d", page.locator("#job").inner_text())
    page.click("#action-requeue")
    assert "Requeued 1 job." in page.locator(".messagelist").inner_text()
    take(job)  # a worker runs it again
    page.goto(f"/admin/jobq/queues/default/jobs/{job.id}/")
    assert page.locator("#status").inner_text() == "started"
    assert page.locator("#traceback").inner_text() == ""
    assert page.locator("#reason").count() == 0
    record = JobRecord.objects.get(job_id=job.id)
    assert (record.status, record.traceback) == ("queued", "")  # written by the requeue


def test_dashboard_queue_names_are_links_and_messages_are_worded_one_way(
    logged_in: Callable[[User], Any],
) -> None:
    low = get_queue("low", commit_mode="immediate")
    for _ in range(2):
        low.enqueue("tests.fixtures.jobs.noop")
    page = logged_in(superuser())
    page.goto("/admin/jobq/")
    page.click('#queues tr[data-queue="low"] th a')
    assert page.url.endswith("/admin/jobq/queues/low/queued/")
    page.click("#empty-queue")
    page.click("#confirm")
    assert page.locator(".messagelist").inner_text().strip() == "Deleted 2 jobs."
    failed = failed_job("low")
    page.goto("/admin/jobq/queues/low/failed/")
    page.click("#requeue-all")
    assert page.locator(".messagelist").inner_text().strip() == "Requeued 1 job."
    assert failed.get_status() == JobStatus.QUEUED


def test_a_schedule_added_in_the_admin_with_first_run_now_runs_within_a_second(
    logged_in: Callable[[User], Any], manage: Manage
) -> None:
    from django.utils import timezone

    scheduler = manage.start("rqscheduler")
    manage.start("rqworker", "default")
    wait_until(lambda: "are active" in manage.log(scheduler), timeout=30)
    wait_until(lambda: list_workers(get_queue().connection), timeout=30)
    page = logged_in(superuser())
    page.goto("/admin/jobq/schedule/add/")
    page.fill("#id_name", "every minute")
    page.fill("#id_func", "tests.fixtures.jobs.noop")
    page.fill("#id_interval", "60")
    page.click(".field-first_run .datetimeshortcuts a:has-text('Today')")
    page.click(".field-first_run .datetimeshortcuts a:has-text('Now')")
    clicked = timezone.now()
    page.click("input[name=_save]")
    assert "was added successfully" in page.locator(".messagelist").inner_text()
    schedule = Schedule.objects.get(name="every minute")

    def first_start() -> Any:
        row = JobRecord.objects.filter(schedule=schedule, started_at__isnull=False).first()
        return row.started_at if row else None

    wait_until(first_start, timeout=10, interval=0.05)
    assert first_start() - clicked < dt.timedelta(seconds=1.5)  # not one interval later


def test_a_registry_list_follows_its_jobs_unless_jobs_are_ticked(
    logged_in: Callable[[User], Any],
) -> None:
    from tests.django.admin_helpers import take

    q = get_queue("default", commit_mode="immediate")
    first, second = q.enqueue("tests.fixtures.jobs.noop"), q.enqueue("tests.fixtures.jobs.noop")
    page = logged_in(superuser())
    page.goto("/admin/jobq/queues/default/queued/")
    assert page.locator(f"text={first.id}").count() == 1
    take(first)  # a worker took it: it left the queue
    page.wait_for_selector(f"text={first.id}", state="detached", timeout=3000)
    page.check(f'input[value="{second.id}"]')
    take(second)
    time.sleep(2)
    assert page.locator(f'input[value="{second.id}"]').is_checked()  # not reloaded under you
