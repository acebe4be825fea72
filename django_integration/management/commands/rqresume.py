"""``manage.py rqresume``: suspended workers take jobs again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jobq import keys
from jobq.django_integration import get_connection


class Command(BaseCommand):
    help = "Resume suspended workers."

    def handle(self, *args: Any, **options: Any) -> None:
        get_connection().delete(keys.SUSPENDED)
        if options["verbosity"]:
            self.stdout.write("Workers resumed.")
