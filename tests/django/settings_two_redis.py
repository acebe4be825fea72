"""The test settings with a second queue on another Redis connection."""

from tests.django.settings import *  # noqa: F403
from tests.django.settings import REDIS_URL

RQ_QUEUES = {
    "default": {"URL": REDIS_URL},
    "other": {"URL": REDIS_URL.rsplit("/", 1)[0] + "/7"},
}
# the tasks of tests/django/standard_tasks.py, all onto "default"
TASKS = {
    "default": {
        "BACKEND": "jobq.django_integration.tasks_backend.JobqBackend",
        "QUEUES": ["default", "emails"],
        "OPTIONS": {"PRIORITY_QUEUES": {"emails": {"default": -100}}},
    }
}
