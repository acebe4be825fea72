"""The Django demo as ``make demo`` runs it (run_demo.py → supervisord with redis,
web, two workers and the scheduler), on a free port with its own embedded Redis,
driven in headless Chromium; then stopped, leaving no process behind.

Skipped when chromium is missing outside CI; in CI (``CI`` set) it must run.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from jobq import Worker
from jobq.embedded import free_port
from tests.conftest import ROOT, wait_until

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PASSWORD = "demo-test-password"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def descendants(root: int) -> set[int]:
    """``root`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(children.get(pid, []))
    return found


@dataclass
class Demo:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path
    pids: set[int] = field(default_factory=set)

    @property
    def var(self) -> Path:
        return self.log.parent / "var" / "demo"

    def output(self) -> str:
        logs = [self.log, *sorted((self.var / "log").glob("*.log"))]
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs)

    def collect_pids(self) -> None:
        self.pids |= descendants(self.proc.pid)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JOBQ_DEMO_REDIS_PORT")}
    env.update(
        JOBQ_DEMO_PORT=str(port),
        JOBQ_DEMO_VAR=str(tmp_path / "var" / "demo"),
        JOBQ_DEMO_PASSWORD=PASSWORD,
    )
    log_path = tmp_path / "run_demo.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / "django_demo" / "run_demo.py")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Demo(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, running.output()
            try:
                with urllib.request.urlopen(running.url + "/", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, running.output()
                time.sleep(0.2)
        running.collect_pids()
        yield running
    finally:
        if proc.poll() is None:
            running.collect_pids()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pid in running.pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: apt-get install chromium (.ci/run does)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def shot(page: Any, name: str) -> None:
    """A screenshot in artifacts/ (git-ignored), to look at the page as a person does."""
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "artifacts" / name), full_page=True)


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, format="PNG")
    return out.getvalue()


def test_demo_in_a_browser(browser: Any, demo: Demo) -> None:
    from playwright.sync_api import expect

    with urllib.request.urlopen(demo.url + "/sample/") as response:
        words = str(len(re.sub(r"<[^>]+>", " ", response.read().decode()).split()))
    page = browser.new_page(base_url=demo.url)
    page.set_default_timeout(30_000)
    page.goto("/")

    # now: get_url_words.delay(url) on the demo's own sample page
    assert page.input_value("#id_url") == demo.url + "/sample/"
    page.click("#words-submit")
    task = page.locator('tr.task[data-func="get_url_words"]')
    expect(task.locator(".status")).to_have_text("finished")
    expect(task.locator(".result")).to_have_text(words)

    # a Schedule of 3 runs, one a second: each run its own job with its result
    page.fill("#id_times", "3")
    page.fill("#id_interval", "1")
    page.click("#words-submit")
    schedule = page.locator(".schedule").first
    expect(schedule.locator(".runs")).to_have_text("3", timeout=30_000)
    expect(schedule.locator('tr.task[data-status="finished"] .result')).to_have_text([words] * 3)
    expect(schedule.locator(".state")).to_have_text("finished")  # not "enabled"

    # the long task's progress bar, fed by get_current_job().set_progress(): it takes
    # about 30 s (long enough to watch), and the page cancels it
    page.click("#long-submit")
    long = page.locator('tr.task[data-func="long_task"]')
    expect(long.locator(".status")).to_have_text("started")
    expect(long.locator("progress")).not_to_have_attribute("value", "0")
    time.sleep(2)
    assert int(long.get_attribute("data-progress") or 0) < 20  # ~30 s in all
    long.locator("button.cancel").click()
    expect(long.locator(".status")).to_have_text("canceled")
    time.sleep(1.5)
    assert long.locator(".status").inner_text() == "canceled"  # it stopped, no late result

    # an upload: post_save enqueues the thumbnail, a worker makes it with Pillow
    page.set_input_files(
        "#id_image", files=[{"name": "wide.png", "mimeType": "image/png", "buffer": png(400, 300)}]
    )
    page.click("#photo-submit")
    thumb = page.locator("img.thumb").first
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [128, 96]

    # a file that is not an image: the page again, with the form's error
    page.set_input_files(
        "#id_image", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hi"}]
    )
    page.click("#photo-submit")
    expect(page.locator("#photo-errors .errorlist")).to_contain_text("Upload a valid image")
    expect(page.locator("h1")).to_have_text("jobq demo")
    shot(page, "demo-form-error.png")

    # e-mail through a job on the high queue, into the file backend, in the folder
    # the page names
    page.click("#mail-submit")
    expect(page.locator("#mails")).to_have_text("1")
    assert f"E-mails in {demo.var / 'mail'}/" in page.inner_text("body")
    assert len(list((demo.var / "mail").glob("*.log"))) == 1

    # the admin's queue pages, as the printed demo superuser
    page.goto("/admin/login/?next=/admin/jobq/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    for name in ("high", "default", "low"):
        expect(page.locator(f'#queues tr[data-queue="{name}"]')).to_have_count(1)
    page.close()

    # stopping supervisord stops everything it started (workers' children included)
    demo.collect_pids()
    assert len(demo.pids) >= 8, (
        demo.pids
    )  # supervisord, redis, web, scheduler, 2 workers + children
    demo.proc.send_signal(signal.SIGTERM)
    assert demo.proc.wait(60) == 0, demo.output()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in demo.pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in demo.pids if alive(p)], demo.output()


def plain_env(demo: Demo) -> dict[str, str]:
    """A second shell: no Redis URL in the environment, .venv/bin not on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "JOBQ_REDIS_URL", "RQ_REDIS_URL", "JOBQ_DEMO_REDIS_PORT")
    }
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin
    )
    return env


def jobq_cli(demo: Demo, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "jobq", *args],
        cwd=demo.log.parent,  # var/redis.url is under it, as under the repository
        env=plain_env(demo),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _states(client: redis.Redis) -> list[str]:
    return sorted(w["state"] for w in Worker.all(client))


def test_demo_redis_is_found_and_a_failed_thumbnail_says_why(browser: Any, demo: Demo) -> None:
    from playwright.sync_api import expect

    url = (demo.var.parent / "redis.url").read_text().strip()
    assert f"Redis: {url}" in demo.log.read_text()  # printed at start
    port = url.rsplit(":", 1)[1].split("/")[0]
    # `jobq info` and `manage.py rqstats` from another shell, without flags
    assert '"high"' in jobq_cli(demo, "info", "--json")
    stats = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "django_demo" / "manage.py"), "rqstats", "--json"],
        env={**plain_env(demo), "JOBQ_DEMO_VAR": str(demo.var)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stats.returncode == 0 and '"low"' in stats.stdout, stats.stdout + stats.stderr
    # the README's status command works from a plain shell
    status = subprocess.run(
        ["make", "-s", "demo-status", f"JOBQ_DEMO_VAR={demo.var}"],
        cwd=ROOT,
        env=plain_env(demo),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "rqworker:rqworker-0" in status.stdout and "RUNNING" in status.stdout, (
        status.stdout + status.stderr
    )
    assert port.isdigit()

    # a thumbnail whose image is gone by the time a worker takes it: failed, and why
    jobq_cli(demo, "suspend")
    # the upload waits until both workers' records say suspended: their executors
    # take no new job from then on (a loaded machine may take longer than a tick)
    client = redis.Redis.from_url(url)
    wait_until(lambda: _states(client) == ["suspended", "suspended"], timeout=30)
    page = browser.new_page(base_url=demo.url)
    page.set_default_timeout(30_000)
    page.goto("/")
    page.set_input_files(
        "#id_image", files=[{"name": "gone.png", "mimeType": "image/png", "buffer": png(64, 64)}]
    )
    page.click("#photo-submit")
    expect(page.locator("#photos .pending")).to_have_text("thumbnail queued…")
    for image in (demo.var / "media" / "photos").glob("*"):
        image.unlink()
    jobq_cli(demo, "resume")
    failed = page.locator("#photos .thumb-failed")
    expect(failed).to_contain_text("thumbnail failed: FileNotFoundError")
    shot(page, "demo-failed-thumbnail.png")
    page.close()
