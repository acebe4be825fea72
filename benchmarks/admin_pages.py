"""Admin pages with a big queue: fills one queue with N jobs (default 1,000,000,
pipelined ``enqueue_many`` in chunks) on a private redis-server, then times the
dashboard and the first and last pages of the queue's job list through Django's
test client (the whole view: permission check, Redis reads, template).

Every page reads a window (LRANGE/ZRANGE with offsets) and counts (LLEN/ZCARD),
so its time must not grow with N; the target is under 300 ms each.

    .venv/bin/python benchmarks/admin_pages.py [--jobs 1000000] [--repeat 5]

Not part of the test suite; it never touches a Redis it did not start.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 300.0
CHUNK = 10_000


def configure(redis_url: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="benchmarks.admin_urls",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "jobq.django_integration",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        STATIC_URL="/static/",
        USE_TZ=True,
        RQ_QUEUES={"default": {"URL": redis_url}, "big": {"URL": redis_url}},
        JOBQ={"RECORD": "none", "COMMIT_MODE": "immediate"},
    )
    django.setup()


def fill(redis_url: str, n: int) -> float:
    """Enqueue ``n`` jobs on queue "big" in pipelined chunks; returns seconds taken."""
    from jobq import Queue
    from jobq.connection import from_url

    queue = Queue("big", connection=from_url(redis_url))
    started = time.perf_counter()
    done = 0
    while done < n:
        size = min(CHUNK, n - done)
        queue.enqueue_many([Queue.prepare_data("benchmarks.jobs.noop") for _ in range(size)])
        done += size
    assert queue.count == n, queue.count
    return time.perf_counter() - started


def time_page(client: object, url: str, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    from jobq.embedded import EmbeddedRedis

    with EmbeddedRedis() as server:
        configure(server.url)
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.test import Client

        from jobq.django_integration.views.registry import PAGE_SIZE

        call_command("migrate", verbosity=0)
        client = Client()
        client.force_login(User.objects.create_superuser("bench", password="x"))

        seconds = fill(server.url, options.jobs)
        print(f"filled {options.jobs:,} jobs in {seconds:.1f} s ({options.jobs / seconds:,.0f}/s)")
        last = -(-options.jobs // PAGE_SIZE)
        pages = {
            "dashboard": "/admin/jobq/",
            "list, first page": "/admin/jobq/queues/big/queued/",
            f"list, last page ({last:,})": f"/admin/jobq/queues/big/queued/?page={last}",
            "job search by id": "/admin/jobq/queues/big/queued/?q=nothing-here",
        }
        time_page(client, "/admin/jobq/", 2)  # warm up: templates, scripts, connections
        worst = 0.0
        for label, url in pages.items():
            ms = time_page(client, url, options.repeat)
            worst = max(worst, ms)
            flag = "ok" if ms < TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
            print(f"{label:<28} {ms:8.1f} ms (median of {options.repeat})  {flag}")
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
