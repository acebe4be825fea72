"""``manage.py rqsuspend [--duration N]``: workers stop taking new jobs."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from jobq import keys
from jobq.django_integration import get_connection

from ._common import JobqCommand


class Command(JobqCommand):
    help = "Suspend all workers: running jobs finish, no new job starts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--duration", "-d", type=int, help="Seconds; workers resume by themselves afterwards"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        duration = options["duration"]
        if duration is not None and duration < 1:
            raise CommandError("--duration must be a whole number of seconds >= 1")
        get_connection().set(keys.SUSPENDED, "1", ex=duration)
        if options["verbosity"]:
            until = f"for {duration} s (or until rqresume)" if duration else "until rqresume"
            self.stdout.write(f"Workers suspended: running jobs finish, no new job starts {until}.")
