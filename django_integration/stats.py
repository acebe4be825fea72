"""Statistics of the configured queues, shared by the admin dashboard, the stats
JSON and Prometheus views and ``manage.py rqstats --json`` (one shape everywhere).

Queues on one Redis are read in one pipelined round trip (``jobq.cli.info.collect``);
queues on several Redis servers are merged.
"""

from __future__ import annotations

from typing import Any

from jobq.cli.info import collect

from . import conf
from .queues import get_connection

#: Prometheus metric names and help, one per counted thing
_METRICS = (
    ("jobq_jobs", "gauge", "Jobs per queue and registry"),
    ("jobq_workers", "gauge", "Live workers"),
    ("jobq_worker_jobs_total", "counter", "Jobs a worker ran, by outcome"),
    ("jobq_suspended", "gauge", "1 when workers are suspended"),
)


def statistics() -> dict[str, Any]:
    """Counts for every configured queue, workers and schedulers; one round trip per Redis."""
    by_connection: dict[str, list[str]] = {}
    for name, config in conf.queues().items():
        by_connection.setdefault(config.connection.cache_key, []).append(name)
    merged: dict[str, Any] = {
        "queues": {},
        "workers": [],
        "suspended": False,
        "scheduler": {"lock_holder": None, "next_due": {}},
        "flow": {},
    }
    for names in by_connection.values():
        stats = collect(get_connection(names[0]), names)
        merged["queues"].update(stats["queues"])
        merged["workers"].extend(stats["workers"])
        merged["suspended"] = merged["suspended"] or stats["suspended"]
        merged["scheduler"]["lock_holder"] = (
            merged["scheduler"]["lock_holder"] or stats["scheduler"]["lock_holder"]
        )
        merged["scheduler"]["next_due"].update(stats["scheduler"]["next_due"])
        merged["flow"].update(stats["flow"])
    return merged


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(stats: dict[str, Any]) -> str:
    """The statistics in Prometheus' text exposition format (version 0.0.4)."""
    lines: list[str] = []
    for name, kind, help_text in _METRICS:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        if name == "jobq_jobs":
            for queue, row in stats["queues"].items():
                for registry, count in row.items():
                    lines.append(
                        f'jobq_jobs{{queue="{_label(queue)}",registry="{registry}"}} {count}'
                    )
        elif name == "jobq_workers":
            alive = sum(1 for w in stats["workers"] if w.get("alive", True))
            lines.append(f"jobq_workers {alive}")
        elif name == "jobq_worker_jobs_total":
            for w in stats["workers"]:
                for outcome in ("successful", "failed"):
                    lines.append(
                        f'jobq_worker_jobs_total{{worker="{_label(w.get("name", ""))}",'
                        f'outcome="{outcome}"}} {int(w.get(outcome, 0) or 0)}'
                    )
        else:
            lines.append(f"jobq_suspended {int(bool(stats['suspended']))}")
    return "\n".join(lines) + "\n"
