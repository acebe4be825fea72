"""``manage.py rqenqueue FUNCTION [ARG ...]``: enqueue a function by dotted path."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from jobq.django_integration import get_queue
from jobq.exceptions import JobqError

from ._common import JobqCommand


class Command(JobqCommand):
    help = "Enqueue FUNCTION (a dotted path) with the given string arguments."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("function", help="Dotted path, e.g. myapp.tasks.send_report")
        parser.add_argument("args", nargs="*", help="Positional arguments (strings)")
        parser.add_argument("--queue", "-q", default="default", help="Queue (default: default)")
        parser.add_argument("--timeout", "-t", type=int, help="Job timeout in seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        """``args``: the job's positional arguments (Django passes the ``args`` positionals here)."""
        try:
            job = get_queue(options["queue"], commit_mode="immediate").enqueue_call(
                options["function"], args=list(args), timeout=options["timeout"]
            )
        except (ValueError, TypeError, KeyError, JobqError) as e:
            raise CommandError(str(e)) from e
        if options["verbosity"]:
            self.stdout.write(f"Job {job.id} created")
