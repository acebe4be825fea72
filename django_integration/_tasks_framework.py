"""The one place that picks Django's Tasks framework: ``django.tasks`` where Django
ships it (6.0 and newer), the ``django-tasks`` backport (``django_tasks``) before.

Both spell the same API; the names that differ (``InvalidTask`` in Django,
``InvalidTaskError`` in the backport; where ``normalize_json`` lives) are given
one name here, so the backend imports everything from this module. mypy checks
against the backport, which the development install carries.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

#: the framework in use: "django.tasks" or "django_tasks"
FRAMEWORK = "django.tasks" if importlib.util.find_spec("django.tasks") else "django_tasks"

if TYPE_CHECKING or FRAMEWORK == "django_tasks":
    from django_tasks import TaskResultStatus, task_backends
    from django_tasks.backends.base import BaseTaskBackend
    from django_tasks.base import Task, TaskContext, TaskError, TaskResult
    from django_tasks.exceptions import InvalidTaskError, TaskResultDoesNotExist
    from django_tasks.signals import task_enqueued, task_finished, task_started
    from django_tasks.utils import normalize_json
else:  # pragma: no cover - Django >= 6.0
    from django.tasks import TaskResultStatus, task_backends
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import Task, TaskContext, TaskError, TaskResult
    from django.tasks.exceptions import InvalidTask as InvalidTaskError
    from django.tasks.exceptions import TaskResultDoesNotExist
    from django.tasks.signals import task_enqueued, task_finished, task_started
    from django.utils.json import normalize_json

__all__ = [
    "FRAMEWORK",
    "BaseTaskBackend",
    "InvalidTaskError",
    "Task",
    "TaskContext",
    "TaskError",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultStatus",
    "normalize_json",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
