"""``manage.py rqscheduler``: django-rq's command, running jobq's scheduler.

At start the ``Schedule`` rows of the queues on the Redis it serves (``--queue``'s)
are written into that Redis (the database is the truth; another Redis is
reconciled by its own scheduler), then the loop fires due schedules and queues
due jobs. Runs are never more than ``--interval`` late (the loop sleeps until
the next due time).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.db import connections

from jobq import connection as conn_mod
from jobq import defaults
from jobq.django_integration.scheduling import DjangoScheduler, get_scheduler, reconcile

from ._common import JobqCommand, log_level, setup_loghandlers, write_pid


class Command(JobqCommand):
    help = "Run the scheduler: recurring schedules (from the database too) and due jobs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            "-i",
            type=float,
            default=defaults.SCHEDULER_INTERVAL,
            help="Longest sleep between passes, in seconds (default %(default)s)",
        )
        parser.add_argument(
            "--queue", default="default", help="A queue whose Redis the scheduler serves"
        )
        parser.add_argument("--burst", action="store_true", help="One pass, then exit")
        parser.add_argument("--pid", help="Write the scheduler's pid into this file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be a positive number of seconds")
        write_pid(options["pid"])
        setup_loghandlers(log_level(options["verbosity"]))

        def make() -> DjangoScheduler:
            return get_scheduler(options["queue"], interval=options["interval"])

        try:
            # a cluster client connects as it is made: wait for it unless a burst run
            scheduler = make() if options["burst"] else conn_mod.retry_until_up(make)
        except KeyError as e:
            raise CommandError(str(e)) from e
        assert scheduler is not None
        if options["burst"]:
            reconcile(options["queue"])
        else:  # Redis down at start (or again since): wait it out, then reconcile
            conn_mod.retry_until_up(lambda: reconcile(options["queue"]))
        connections.close_all()  # the loop itself never touches the database
        scheduler.run(burst=options["burst"])
