"""``manage.py rqworker [QUEUE ...]``: django-rq's command, running a jobq worker."""

from __future__ import annotations

import math
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.db import connections

from jobq import connection as conn_mod
from jobq import defaults
from jobq.django_integration import conf, get_worker
from jobq.django_integration.scheduling import worker_scheduler_hook
from jobq.django_integration.workers import get_worker_class
from jobq.worker import BaseWorker, Worker

from ._common import JobqCommand, log_level, setup_loghandlers, write_pid

#: rq options jobq has no use for: accepted so that existing deploy scripts run
UNSUPPORTED = {
    "worker_ttl": "jobq workers renew leases by heartbeat",
}


class Command(JobqCommand):
    help = "Run a worker on the given queues (default: 'default'), in priority order."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("queues", nargs="*", help="Queues to work on, highest priority first")
        parser.add_argument("--burst", action="store_true", help="Exit when the queues are empty")
        parser.add_argument("--with-scheduler", action="store_true", help="Also run the scheduler")
        parser.add_argument("--name", help="Worker name (default host.pid.random)")
        parser.add_argument("--max-jobs", type=int, help="Stop after this many jobs")
        parser.add_argument("--concurrency", "-c", type=int, default=1, help="Executor children")
        parser.add_argument(
            "--max-jobs-per-child", type=int, help="Replace a child after N jobs (1: fork per job)"
        )
        parser.add_argument(
            "--lease",
            type=float,
            default=defaults.LEASE_SECONDS,
            help="Seconds a job is leased, renewed by heartbeat; a dead worker's jobs "
            "go back to their queue once it expires",
        )
        parser.add_argument("--pid", help="Write the worker's pid into this file")
        parser.add_argument("--worker-class", help="Worker class (dotted path; RQ['WORKER_CLASS'])")
        parser.add_argument("--job-class", help="Job class (dotted path; RQ['JOB_CLASS'])")
        parser.add_argument("--queue-class", help="Queue class (dotted path; RQ['QUEUE_CLASS'])")
        parser.add_argument(
            "--sentry-dsn", help="Report failed jobs to Sentry (needs jobq[sentry])"
        )
        parser.add_argument("--worker-ttl", type=int, help="rq option; accepted and ignored")
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Record nothing in the queues' history (default: JOBQ['HISTORY'], on)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for key, why in UNSUPPORTED.items():
            if options.get(key) is not None:
                flag = "--" + key.replace("_", "-")
                self.stderr.write(f"{flag} is ignored: {why}.")
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")
        if not math.isfinite(options["lease"]) or options["lease"] < 0.5:
            raise CommandError("--lease must be at least 0.5 seconds")
        write_pid(options["pid"])
        setup_loghandlers(log_level(options["verbosity"]))

        worker_class = get_worker_class(options["worker_class"])
        # executor children: only a supervising Worker has them (not a SimpleWorker)
        worker_options: dict[str, Any] = (
            {
                "concurrency": options["concurrency"],
                "max_jobs_per_child": options["max_jobs_per_child"],
            }
            if issubclass(worker_class, Worker)
            else {}
        )

        worker_options["history"] = conf.options().history and not options["no_history"]
        extra_hooks = []
        if options["sentry_dsn"]:
            from jobq import sentry

            try:
                extra_hooks.append(sentry.init(options["sentry_dsn"]))
            except RuntimeError as e:
                raise CommandError(str(e)) from e
        if extra_hooks:
            from jobq.django_integration.hooks import worker_hooks

            worker_options["hooks"] = [*worker_hooks(), *extra_hooks]

        def make() -> BaseWorker:
            return get_worker(
                *options["queues"],
                job_class=options["job_class"],
                queue_class=options["queue_class"],
                worker_class=worker_class,
                name=options["name"],
                lease_seconds=options["lease"],
                with_scheduler_hook=(
                    worker_scheduler_hook(next(iter(options["queues"]), "default"))
                    if options["with_scheduler"]
                    else None
                ),
                **worker_options,
            )

        try:
            # a cluster client connects as it is made: wait for it unless a burst run
            worker = make() if options["burst"] else conn_mod.retry_until_up(make)
        except (ValueError, KeyError) as e:
            raise CommandError(str(e)) from e
        assert worker is not None
        connections.close_all()  # the supervisor forks: no connection may cross it
        worker.work(
            burst=options["burst"],
            max_jobs=options["max_jobs"],
            with_scheduler=options["with_scheduler"],
        )
