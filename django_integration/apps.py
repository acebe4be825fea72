"""The Django app: label ``jobq``; registers system checks and schedule signals.

Nothing here reads settings: checks read them when ``manage.py check`` (or any
command) runs, and everything else on first use.
"""

from __future__ import annotations

from django.apps import AppConfig


class JobqConfig(AppConfig):
    name = "jobq.django_integration"
    label = "jobq"
    verbose_name = "jobq"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jobq.hooks import add_change_listener

        from . import checks, signals  # noqa: F401  (they register themselves)
        from .records import refresh

        # jobs canceled, deleted, requeued or emptied (admin, CLI, code) reach their rows
        add_change_listener(refresh)
