"""One worker in its own process, for the benchmarks (not a jobq entry point).

    python -m benchmarks.worker_runner {jobq,jobq-nohistory,rq,jobq-django} {simple,worker} REDIS_URL
        [--concurrency N] [--burst] [--log-level INFO]

The same as ``jobq worker [--simple] [-c N] --burst --url URL`` and
``rq worker [-w rq.SimpleWorker] --burst --url URL`` (both CLIs log at INFO by
default, and so does this), except that it prints two JSON lines on stdout:
``{"ready": t}`` once the imports are done and the worker object is built, right
before ``work()``, and ``{"done": t}`` when ``work()`` returns (``time.time()``).
The parent times the work between them, and the whole process separately.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from typing import Any


def _say(**event: float) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _jobq_worker(
    kind: str, url: str, concurrency: int, log_level: str, history: bool = True
) -> Any:
    import jobq
    from jobq import connection

    # what `jobq worker` does (cli/worker.py: configure_logging)
    logging.basicConfig(level=log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    conn = connection.from_url(url)
    if kind == "simple":
        return jobq.SimpleWorker(["default"], conn, history=history).work
    return jobq.Worker(["default"], conn, concurrency=concurrency, history=history).work


def _jobq_worker_without_history(kind: str, url: str, concurrency: int, log_level: str) -> Any:
    """``jobq worker --no-history``: the history's cost is the difference."""
    return _jobq_worker(kind, url, concurrency, log_level, history=False)


def _jobq_django_worker(kind: str, url: str, concurrency: int, log_level: str) -> Any:
    """What ``manage.py rqworker`` builds: Django's hooks (JobRecord rows, database
    connections closed around jobs); settings from ``DJANGO_SETTINGS_MODULE``."""
    import django

    logging.basicConfig(level=log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    django.setup()
    from jobq.django_integration.workers import get_worker

    return get_worker("default", concurrency=concurrency).work


def _rq_worker(kind: str, url: str, concurrency: int, log_level: str) -> Any:
    import redis
    import rq

    conn = redis.Redis.from_url(url)
    cls = rq.SimpleWorker if kind == "simple" else rq.Worker
    worker = cls(["default"], connection=conn)

    def work(burst: bool) -> bool:
        return bool(worker.work(burst=burst, logging_level=log_level))

    return work


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("system", choices=["jobq", "jobq-nohistory", "rq", "jobq-django"])
    p.add_argument("kind", choices=["simple", "worker"])
    p.add_argument("url")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--burst", action="store_true")
    p.add_argument("--log-level", default="INFO")
    args = p.parse_args(argv)
    build = {
        "jobq": _jobq_worker,
        "jobq-nohistory": _jobq_worker_without_history,
        "rq": _rq_worker,
        "jobq-django": _jobq_django_worker,
    }[args.system]
    work = build(args.kind, args.url, args.concurrency, args.log_level)
    _say(ready=time.time())
    work(burst=args.burst)
    _say(done=time.time())
    return 0


if __name__ == "__main__":
    sys.exit(main())
