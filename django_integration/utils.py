"""django-rq's ``utils`` names: statistics per queue in django-rq's shape, jobs by id."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from jobq.job import Job
from jobq.queue import Queue
from jobq.registry import REGISTRY_CLASSES, StartedJobRegistry, clean_registries

from .cron import DjangoCronScheduler, running_cron_schedulers
from .queues import get_queue_by_index, queue_names
from .stats import statistics
from .templatetags.django_rq import to_localtime

logger = logging.getLogger("jobq.django")


def get_statistics(run_maintenance_tasks: bool = False) -> dict[str, list[dict[str, Any]]]:
    """One row per configured queue (index = place in name order), as django-rq's
    dashboard reads them: counts per registry, workers, the oldest job's time."""
    stats = statistics()
    rows: list[dict[str, Any]] = []
    for index, name in enumerate(queue_names()):
        counts = stats["queues"].get(name, {})
        row: dict[str, Any] = {"name": name, "index": index, "jobs": counts.get("queued", 0)}
        for registry in REGISTRY_CLASSES:
            row[f"{registry}_jobs"] = counts.get(registry, 0)
        row["workers"] = sum(1 for w in stats["workers"] if name in w.get("queues", ""))
        row["oldest_job_timestamp"] = "-"
        row["scheduler_pid"] = None
        #: why the counts are missing: its Redis could not be reached (see .stats)
        row["error"] = stats["unreachable"].get(name, "")
        if not row["error"] and (run_maintenance_tasks or row["jobs"]):
            queue = get_queue_by_index(index)
            if run_maintenance_tasks:
                clean_registries(queue)
            row["oldest_job_timestamp"] = _oldest(queue)
        rows.append(row)
    return {"queues": rows}


def _oldest(queue: Queue) -> str:
    ids = queue.get_job_ids(0, 1)
    job = queue.fetch_job(ids[0]) if ids else None
    when = to_localtime(job.enqueued_at) if job is not None else None
    return when.strftime("%Y-%m-%d, %H:%M:%S") if when is not None else "-"


def get_jobs(queue: Queue, job_ids: Sequence[str], registry: Any = None) -> list[Job]:
    """The jobs of ``job_ids`` that still exist, in order; ids of jobs gone are
    dropped from ``registry`` when one is given (django-rq's clean-up)."""
    jobs = Job.fetch_many(list(job_ids), queue.connection, queue=queue.name)
    if registry is not None:
        gone = [i for i, j in zip(job_ids, jobs, strict=True) if j is None]
        started = isinstance(registry, StartedJobRegistry)
        for job_id in gone:
            if started:
                registry.remove_executions(job_id)
            else:
                registry.remove(job_id)
    return [j for j in jobs if j is not None]


def get_scheduler_pid(queue: Queue) -> bool | int | None:
    """django-rq: False when rq-scheduler (here: jobq's scheduler) is in use, which is
    always the case with jobq."""
    return False


def get_cron_schedulers() -> list[DjangoCronScheduler]:
    """The cron schedulers running on each distinct Redis of ``RQ_QUEUES``, stale ones
    cleaned up first (django-rq's); a connection that cannot be reached is left out."""
    return [scheduler for _, scheduler in running_cron_schedulers(cleanup=True)]
