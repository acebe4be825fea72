"""The dashboard's history charts in headless Chromium: after a worker runs a known
mix of jobs (some failing, some slow) the charts show them, the numbers on hover
match stats.json, and they follow new work without a page reload.

PostgreSQL pass only, like tests/django/test_admin_browser.py (whose browser
fixtures these tests use)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from jobq import Retry
from jobq.django_integration import get_queue
from tests.django.admin_helpers import superuser
from tests.django.conftest import Manage
from tests.django.test_admin_browser import browser, logged_in, screenshot

__all__ = ["browser", "logged_in"]  # fixtures used here

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("JOBQ_TEST_DB", "sqlite") != "postgres",
        reason="browser tests run in the PostgreSQL pass (SQLite + live-server threads segfault)",
    ),
]

SLEEP = "tests.fixtures.jobs.sleep"
FAIL = "tests.fixtures.jobs.fail"


def run_known_mix(manage: Manage) -> None:
    q = get_queue("default", commit_mode="immediate")
    for i in range(5):
        q.enqueue("tests.fixtures.jobs.add", i, 1)
    q.enqueue(FAIL)
    q.enqueue(FAIL)
    q.enqueue(FAIL, retry=Retry(max=1))
    q.enqueue(SLEEP, 0.4)
    q.enqueue(SLEEP, 0.4)
    manage.run("rqworker", "--burst", "--name", "charts", "default")


def _stats(page: Any, window: str = "hour") -> dict[str, Any]:
    reply = page.request.get(f"/admin/jobq/stats.json?window={window}")
    assert reply.ok
    return json.loads(reply.text())["history"]  # type: ignore[no-any-return]


def _busiest(page: Any, chart: str, key: str) -> str:
    """The data-t of the default queue's column in ``chart`` with the largest ``key``."""
    t: str = page.evaluate(
        """([chart, key]) => {
          const cols = [...document.querySelectorAll(
            `section[data-queue="default"] figure[data-chart="${chart}"] rect.hover`)];
          let best = null, most = 0;
          for (const c of cols) {
            const v = JSON.parse(c.dataset.values)[key];
            if (v !== null && v > most) { most = v; best = c; }
          }
          return best && best.getAttribute("data-t");
        }""",
        [chart, key],
    )
    assert t, f"no column of {chart} shows {key}"
    return t


def _hover(page: Any, chart: str, t: str) -> str:
    col = page.locator(
        f'section[data-queue="default"] figure[data-chart="{chart}"] rect.hover[data-t="{t}"]'
    )
    col.hover(force=True)
    page.wait_for_function(
        "([chart, t]) => { const tip = document.getElementById('jobq-tip');"
        " return !tip.hidden && tip.dataset.t === t && tip.dataset.chart === chart; }",
        arg=[chart, t],
        timeout=5000,
    )
    return str(page.locator("#jobq-tip").inner_text())


def _ms(v: float) -> str:
    return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"


def test_charts_show_the_mix_and_hover_numbers_match_stats_json(
    logged_in: Callable[[User], Any], manage: Manage
) -> None:
    run_known_mix(manage)
    page = logged_in(superuser())
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto("/admin/jobq/")
    page.wait_for_selector('section[data-queue="default"] figure[data-chart="throughput"]')

    t = _busiest(page, "throughput", "finished")
    tip = _hover(page, "throughput", t)
    h = _stats(page)
    i = h["times"].index(int(t))
    series = h["queues"]["default"]
    assert f"finished {series['finished'][i]}" in tip and f"failed {series['failed'][i]}" in tip
    assert sum(series["finished"]) == 7 and sum(series["failed"]) == 3
    assert sum(series["retried"]) == 1

    t = _busiest(page, "run", "p99")
    tip = _hover(page, "run", t)
    h = _stats(page)
    run = h["queues"]["default"]["run"]
    i = h["times"].index(int(t))
    assert f"p99 {_ms(run['p99'][i])}" in tip and f"p50 {_ms(run['p50'][i])}" in tip
    assert run["p99"][i] >= 0.4 / (1 + h["relative_error"])  # the slow jobs
    # the queue's charts with the hovered numbers (docs/img/charts-hour.png)
    page.locator('section[data-queue="default"]').screenshot(
        path=str(screenshot_dir() / "charts-hour.png")
    )

    slowest = page.locator("#slowest-functions tbody tr").first
    assert slowest.get_attribute("data-function") == SLEEP
    failing = page.locator("#failing-functions tbody tr").first
    assert failing.get_attribute("data-function") == FAIL
    assert failing.locator("td.failed").inner_text() == "3"
    screenshot(page, "dashboard-charts.png")
    page.locator("#jobq-functions").screenshot(path=str(screenshot_dir() / "functions.png"))


def screenshot_dir() -> Any:
    from tests.django.test_admin_browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def test_charts_follow_new_jobs_without_a_page_reload(
    logged_in: Callable[[User], Any], manage: Manage
) -> None:
    page = logged_in(superuser())
    page.goto("/admin/jobq/")
    page.wait_for_selector("#jobq-charts[data-drawn]")
    page.evaluate("() => { window.notReloaded = true; }")
    get_queue("default", commit_mode="immediate").enqueue("tests.fixtures.jobs.add", 1, 2)
    manage.run("rqworker", "--burst", "--name", "charts", "default")
    page.wait_for_function(
        """() => [...document.querySelectorAll(
             'section[data-queue="default"] figure[data-chart="throughput"] rect.hover')]
           .some(c => JSON.parse(c.dataset.values).finished > 0)""",
        timeout=10_000,
    )
    # the queue table follows too (a finished job), in the same page
    page.wait_for_function(
        "() => document.querySelector('#queues tr[data-queue=\"default\"] .count-finished')"
        "?.innerText.trim() === '1'",
        timeout=10_000,
    )
    assert page.evaluate("() => window.notReloaded") is True
    page.click('button[data-window="day"]')
    page.wait_for_function(
        "() => document.querySelectorAll("
        '\'section[data-queue="default"] figure[data-chart="throughput"] rect.hover\')'
        ".length === 1440",
        timeout=10_000,
    )
    assert page.evaluate("() => window.notReloaded") is True
    page.locator('section[data-queue="default"]').screenshot(
        path=str(screenshot_dir() / "charts-day.png")
    )


def _backfill_an_hour(now_ms: int) -> None:
    """An hour of made-up history for the default queue, as workers would have sent it:
    a daily-report burst, steady e-mails, some failing image resizes; workers alive
    and queue depths as their upkeep samples them."""
    import math

    from jobq import keys, transitions
    from jobq.django_integration.queues import get_connection
    from jobq.history import bucket_of

    conn = get_connection()
    q = keys.queue_keys("default")
    for i in range(360):
        at = now_ms - i * 10_000
        wave = 1 + math.sin(i / 25)
        mails = int(20 + 15 * wave)
        resizes = int(5 + 4 * wave)
        slow = bucket_of(0.8 + 0.5 * wave)
        per = {
            "app.tasks.send_email": {
                "finished": mails,
                f"r{bucket_of(0.03)}": mails - 2,
                f"r{bucket_of(0.12)}": 2,
                f"w{bucket_of(0.05 * wave + 0.01)}": mails,
            },
            "app.tasks.resize_image": {
                "finished": resizes,
                "failed": 1 + i % 4 // 3,
                f"r{slow}": resizes + 1 + i % 4 // 3,
                f"w{bucket_of(0.4 * wave + 0.05)}": resizes + 1 + i % 4 // 3,
            },
        }
        if 120 <= i < 150:  # a burst of daily reports, half an hour ago
            per["app.tasks.daily_report"] = {
                "finished": 3,
                "retried": 1,
                f"r{bucket_of(4.0)}": 4,
                f"w{bucket_of(6.0)}": 4,
            }
        transitions.record_history(conn, q, at, per)
        start = at // 1000 - at // 1000 % 10
        conn.hset(q.history(10, start), "depth", int(30 * wave) + (40 if 120 <= i < 150 else 0))
        alive = keys.workers_history(10, start)
        conn.hset(alive, mapping={f"worker-{n}": 1 for n in range(3 if 200 <= i < 230 else 4)})


def test_an_hour_of_history_is_charted_at_its_times(logged_in: Callable[[User], Any]) -> None:
    from jobq.history import now_ms

    now = now_ms()
    _backfill_an_hour(now)
    page = logged_in(superuser())
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto("/admin/jobq/")
    page.wait_for_selector('section[data-queue="default"] figure[data-chart="throughput"]')
    h = _stats(page)
    # half an hour ago, in the report burst
    t = h["times"][-1 - 135]
    tip = _hover(page, "throughput", str(t))
    i = h["times"].index(t)
    series = h["queues"]["default"]
    assert series["retried"][i] == 1
    assert f"finished {series['finished'][i]}" in tip and "retried 1" in tip
    tip = _hover(page, "depth", str(t))
    assert f"depth {series['depth'][i]}" in tip and series["depth"][i] >= 40
    t = h["times"][-1 - 210]
    assert h["workers"][h["times"].index(t)] == 3
    _hover(page, "run", str(h["times"][-1 - 135]))
    page.locator('section[data-queue="default"]').screenshot(
        path=str(screenshot_dir() / "charts-hour-backfilled.png")
    )
    slowest = page.locator("#slowest-functions tbody tr").first
    assert slowest.get_attribute("data-function") == "app.tasks.daily_report"
    page.locator("#jobq-functions").screenshot(
        path=str(screenshot_dir() / "functions-backfilled.png")
    )
    page.locator('section[data-queue=""]').screenshot(
        path=str(screenshot_dir() / "workers-backfilled.png")
    )
