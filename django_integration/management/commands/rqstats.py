"""``manage.py rqstats [--json] [--interval N]``: jobs per registry and workers."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from jobq.cli.info import render
from jobq.django_integration.stats import statistics

from ._common import JobqCommand


class Command(JobqCommand):
    help = "Show jobs per queue and registry, and the workers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", "-j", action="store_true", help="Print JSON")
        parser.add_argument("--interval", "-i", type=float, help="Refresh every N seconds")
        parser.add_argument("--yaml", "-y", action="store_true", help="rq option; not supported")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["yaml"]:
            raise CommandError("--yaml is not supported by jobq; use --json")
        interval = options["interval"]
        if interval is not None and interval <= 0:
            raise CommandError("--interval must be a positive number of seconds")
        while True:
            stats = statistics()
            self.stdout.write(json.dumps(stats, indent=2) if options["json"] else render(stats))
            if interval is None:
                return
            self.stdout.flush()
            time.sleep(interval)
