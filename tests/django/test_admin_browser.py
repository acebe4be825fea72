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
from jobq.status import JobStatus
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
    q = get_queue("default", autocommit=True)
    flaky = q.enqueue("tests.fixtures.jobs.fail_until", str(tmp_path / "n"), 1)
    wait_until(lambda: flaky.get_status() == JobStatus.FAILED, timeout=30)
    page = logged_in(superuser())

    page.goto(f"/admin/jobq/queues/default/jobs/{flaky.id}/")
    page.click("#action-requeue")
    wait_until(lambda: flaky.get_status() == JobStatus.FINISHED, timeout=30)
    page.goto(f"/admin/jobq/queues/default/jobs/{flaky.id}/")
    assert page.locator("#status").inner_text() == "finished"

    low = get_queue("low", autocommit=True)
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
