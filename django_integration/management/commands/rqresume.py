"""``manage.py rqresume``: suspended workers take jobs again."""

from __future__ import annotations

from typing import Any

from jobq import keys
from jobq.django_integration import get_connection

from ._common import JobqCommand


class Command(JobqCommand):
    help = "Resume suspended workers."

    def handle(self, *args: Any, **options: Any) -> None:
        get_connection().delete(keys.SUSPENDED)
        if options["verbosity"]:
            self.stdout.write("Workers resumed.")
