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
    q = get_queue("default", autocommit=True)
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

    slowest = page.locator("#slowest-functions tbody tr").first
    assert slowest.get_attribute("data-function") == SLEEP
    failing = page.locator("#failing-functions tbody tr").first
    assert failing.get_attribute("data-function") == FAIL
    assert failing.locator("td.failed").inner_text() == "3"
    screenshot(page, "charts-hour.png")
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
    get_queue("default", autocommit=True).enqueue("tests.fixtures.jobs.add", 1, 2)
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
    screenshot(page, "charts-day.png")
