"""The Django app: label ``jobq``; registers system checks and schedule signals.

Nothing here reads settings: checks read them when ``manage.py check`` (or any
command) runs, and everything else on first use. ``ready`` installs the default
signing keys of the process (read on first use: ``SECRET_KEY``, see
:func:`conf.signing_keyring`), so that every queue, worker and scheduler made in a
Django project signs and checks jobs without being told.
"""

from __future__ import annotations

from django.apps import AppConfig


class JobqConfig(AppConfig):
    name = "jobq.django_integration"
    label = "jobq"
    verbose_name = "jobq"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import got_request_exception, request_finished

        from jobq import signing
        from jobq.hooks import add_change_listener

        from . import checks, signals, thread_queue  # noqa: F401  (they register themselves)
        from .conf import signing_keyring
        from .records import refresh

        signing.set_default_provider(signing_keyring)
        # jobs canceled, deleted, requeued or emptied (admin, CLI, code) reach their rows
        add_change_listener(refresh)
        # django-rq's "request_finished" commit mode: held enqueues go out with the response
        request_finished.connect(thread_queue.commit, dispatch_uid="jobq.thread_queue.commit")
        got_request_exception.connect(thread_queue.clear, dispatch_uid="jobq.thread_queue.clear")
