"""The test settings with one more queue, "down", on a Redis nobody listens on."""

from tests.django.settings import *  # noqa: F403
from tests.django.settings import RQ_QUEUES

#: nothing listens on port 1: connecting is refused at once
DOWN_URL = "redis://127.0.0.1:1/0"
RQ_QUEUES = {**RQ_QUEUES, "down": {"URL": DOWN_URL}}
