"""``manage.py rqstats [--json] [--interval N]``: jobs per registry and workers."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from jobq.cli.info import json_dump, watch
from jobq.django_integration.stats import statistics

from ._common import JobqCommand


class Command(JobqCommand):
    help = "Show jobs per queue and registry, and the workers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", "-j", action="store_true", help="Print JSON")
        parser.add_argument("--interval", "-i", type=float, help="Refresh every N seconds")
        parser.add_argument("--yaml", "-y", action="store_true", help="Print YAML (needs PyYAML)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["yaml"]:
            try:
                import yaml
            except ImportError as e:
                raise CommandError("--yaml needs PyYAML: pip install pyyaml (or use --json)") from e
        interval = options["interval"]
        if interval is not None and interval <= 0:
            raise CommandError("--interval must be a positive number of seconds")
        dump = json_dump(interval) if options["json"] else None
        if options["yaml"]:
            import yaml

            def dump(stats: dict[str, Any]) -> str:
                return str(yaml.safe_dump(stats, default_flow_style=False, sort_keys=False))

        tty = self.stdout.isatty()
        watch(lambda: statistics("minute"), interval, self._line, dump, tty=tty)

    def _line(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
