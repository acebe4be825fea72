"""Keep the Redis scheduler in step with ``Schedule`` rows, on commit.

A save or delete reaches Redis only once its transaction commits (a rolled-back
edit must not fire), and the row is read again then, so the scheduler always
gets what the database holds. A failed sync is logged: the next scheduler start
reconciles everything from the database anyway.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Schedule

logger = logging.getLogger("jobq.scheduler")


def _sync_on_commit(pk: int, using: str) -> None:
    from .scheduling import sync_schedule

    def sync() -> None:
        try:
            sync_schedule(pk, using=using)
        except Exception:
            logger.exception(
                "could not update schedule %s in Redis; the next scheduler start fixes it", pk
            )

    transaction.on_commit(sync, using=using)


@receiver(post_save, sender=Schedule, dispatch_uid="jobq.schedule.saved")
def schedule_saved(sender: type[Schedule], instance: Schedule, using: str, **kwargs: Any) -> None:
    _sync_on_commit(instance.pk, using)


@receiver(post_delete, sender=Schedule, dispatch_uid="jobq.schedule.deleted")
def schedule_deleted(sender: type[Schedule], instance: Schedule, using: str, **kwargs: Any) -> None:
    _sync_on_commit(instance.pk, using)
