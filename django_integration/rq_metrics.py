"""django-rq's Prometheus families (``rq_jobs``, ``rq_workers``, ``rq_job_*_total``),
served beside jobq's own by the Django metrics view, so the dashboards and alerts a
project built on django-rq's exporter keep reading after the move.

Values are the same statistics jobq's families show. ``rq_working_seconds_total`` is
not served: jobq measures run time per queue and function (the
``jobq_job_run_seconds`` histogram), not per worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jobq.metrics import label

#: rq's job statuses, each read from the registry of that name
STATUSES = ("queued", "started", "finished", "failed", "deferred", "scheduled")


def _family(name: str, kind: str, help_text: str, samples: Iterator[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]


def _jobs(stats: dict[str, Any]) -> Iterator[str]:
    for queue, row in stats["queues"].items():
        for status in STATUSES:
            n = float(row.get(status, 0) or 0)
            yield f'rq_jobs{{queue="{label(queue)}",status="{status}"}} {n}'


def _worker_labels(w: dict[str, Any]) -> str:
    return f'name="{label(w.get("name", ""))}",queues="{label(w.get("queues", ""))}"'


def _workers(stats: dict[str, Any]) -> Iterator[str]:
    for w in stats["workers"]:
        if w.get("alive", True):
            state = label(w.get("state", "?"))
            yield f'rq_workers{{{_worker_labels(w)},state="{state}"}} 1.0'


def _outcomes(stats: dict[str, Any], outcome: str) -> Iterator[str]:
    for w in stats["workers"]:
        n = float(w.get(outcome, 0) or 0)
        yield f"rq_job_{outcome}_total{{{_worker_labels(w)}}} {n}"


def rq_text(stats: dict[str, Any]) -> str:
    """django-rq's families for ``stats`` (:func:`..stats.statistics`), one line each."""
    lines = [
        *_family("rq_jobs", "gauge", "RQ jobs by status", _jobs(stats)),
        *_family("rq_workers", "gauge", "RQ workers", _workers(stats)),
        *_family(
            "rq_job_successful_total",
            "counter",
            "RQ successful job count",
            _outcomes(stats, "successful"),
        ),
        *_family(
            "rq_job_failed_total", "counter", "RQ failed job count", _outcomes(stats, "failed")
        ),
    ]
    return "\n".join(lines) + "\n"
