"""``manage.py rqcron CONFIG``: django-rq's command. The configuration module
registers jobs with ``jobq.cron.register`` (rq's ``cron.register``); they are
stored as jobq schedules and the scheduler loop runs them."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from jobq.django_integration.cron import DjangoCronScheduler

from ._common import configure_logging


class Command(BaseCommand):
    help = "Run the cron jobs a configuration module registers (rq's cron API)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("config", help="Dotted module path (or .py file) of the configuration")
        parser.add_argument("--name", help="Scheduler name")

    def handle(self, *args: Any, **options: Any) -> None:
        configure_logging(options["verbosity"])
        scheduler = DjangoCronScheduler(name=options["name"])
        self.stdout.write(f"Loading cron configuration from {options['config']}")
        scheduler.load_config_from_file(options["config"])
        self.stdout.write(f"Starting cron scheduler with {len(scheduler.get_jobs())} jobs...")
        self.stdout.flush()
        try:
            scheduler.start()
        except KeyboardInterrupt:
            self.stdout.write("Cron scheduler stopped")
            raise SystemExit(0) from None
