"""What the management commands share: logging set by ``--verbosity``, pid files,
and one error line instead of a traceback."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jobq.cli import describe


class JobqCommand(BaseCommand):
    """A command whose errors (Redis unreachable, a bad setting or queue name) end it
    with one ``CommandError: ...`` line and exit status 1, as ``jobq``'s commands do;
    ``--traceback`` still shows the traceback."""

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except Exception as e:
            if options.get("traceback"):
                raise
            raise CommandError(describe(e, where="settings.RQ_QUEUES")) from e


def log_level(verbosity: int) -> str:
    """The level a command's ``--verbosity`` asks for (django-rq's mapping)."""
    return "DEBUG" if verbosity >= 2 else "WARNING" if verbosity == 0 else "INFO"


def configure_logging(verbosity: int) -> None:
    setup_loghandlers(log_level(verbosity))


def setup_loghandlers(level: str) -> None:
    """Log jobq's ``jobq.worker``/``jobq.scheduler`` lines to stderr, unless the
    project's LOGGING already routes the ``jobq`` logger somewhere. django-rq's
    name: the worker and scheduler commands call it by their own module's name
    (``...commands.rqworker.setup_loghandlers``), which a project may patch."""
    root = logging.getLogger("jobq")
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(handler)


def write_pid(path: str | None) -> None:
    if path:
        with open(os.path.expanduser(path), "w") as f:
            f.write(str(os.getpid()))
