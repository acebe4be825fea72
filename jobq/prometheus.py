"""Statistics in Prometheus' text exposition format (version 0.0.4), one rendering for
every server of it: Django's ``metrics`` view and a standalone exporter.

Counts per registry and workers come from :func:`jobq.cli.info.collect`; counters
per outcome and the run and wait time histograms from the history's totals
(:func:`jobq.history.read_totals`), labelled by queue and function (at most
``HISTORY_MAX_FUNCTIONS`` functions per queue, the rest as "other").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis

from . import history
from .cli.info import collect
from .history import Bucket, Sketch

#: the histograms' upper bounds: every PER_DOUBLING-th sketch bucket edge (0.1 ms,
#: 0.2 ms, ... about 2.4 days), so each ``le`` count is exact
_EDGES = [
    (b, history.bucket_bounds(b)[1]) for b in range(0, history.BUCKETS - 1, history.PER_DOUBLING)
]

_GAUGES = (
    ("jobq_jobs", "gauge", "Jobs per queue and registry"),
    ("jobq_workers", "gauge", "Live workers"),
    ("jobq_worker_jobs_total", "counter", "Jobs a worker ran, by outcome"),
    ("jobq_suspended", "gauge", "1 when workers are suspended"),
)
_JOBS_TOTAL = ("jobq_jobs_total", "counter", "Jobs by queue, function and outcome (history totals)")
_HISTOGRAMS = (
    ("jobq_job_run_seconds", "run", "Run time of jobs, by queue and function"),
    ("jobq_job_wait_seconds", "wait", "Wait from enqueue to start, by queue and function"),
)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())


def _gauges(stats: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for name, kind, help_text in _GAUGES:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        if name == "jobq_jobs":
            for queue, row in stats["queues"].items():
                for registry, count in row.items():
                    lines.append(f"jobq_jobs{{{_labels(queue=queue, registry=registry)}}} {count}")
        elif name == "jobq_workers":
            alive = sum(1 for w in stats["workers"] if w.get("alive", True))
            lines.append(f"jobq_workers {alive}")
        elif name == "jobq_worker_jobs_total":
            for w in stats["workers"]:
                for outcome in ("successful", "failed"):
                    labels = _labels(worker=w.get("name", ""), outcome=outcome)
                    lines.append(
                        f"jobq_worker_jobs_total{{{labels}}} {int(w.get(outcome, 0) or 0)}"
                    )
        else:
            lines.append(f"jobq_suspended {int(bool(stats['suspended']))}")
    return lines


def _histogram(name: str, labels: str, sketch: Sketch) -> list[str]:
    lines, seen, counts = [], 0, sorted(sketch.counts.items())
    i = 0
    for edge_bucket, edge in _EDGES:
        while i < len(counts) and counts[i][0] <= edge_bucket:
            seen += counts[i][1]
            i += 1
        lines.append(f'{name}_bucket{{{labels},le="{edge:.6g}"}} {seen}')
    lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {sketch.total}')
    lines.append(f"{name}_sum{{{labels}}} {sketch.estimated_sum():.6g}")
    lines.append(f"{name}_count{{{labels}}} {sketch.total}")
    return lines


def _history(totals: Mapping[str, Bucket]) -> list[str]:
    name, kind, help_text = _JOBS_TOTAL
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for queue, bucket in totals.items():
        for func, counts in sorted(bucket.functions.items()):
            for outcome, n in counts.outcomes.items():
                lines.append(
                    f"{name}{{{_labels(queue=queue, function=func, outcome=outcome)}}} {n}"
                )
    for name, sketch_name, help_text in _HISTOGRAMS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        for queue, bucket in totals.items():
            for func, counts in sorted(bucket.functions.items()):
                sketch: Sketch = getattr(counts, sketch_name)
                lines += _histogram(name, _labels(queue=queue, function=func), sketch)
    return lines


def prometheus_text(stats: Mapping[str, Any], totals: Mapping[str, Bucket]) -> str:
    """``stats`` (the shape of :func:`jobq.cli.info.collect`) and the history's
    ``totals`` per queue (:func:`jobq.history.read_totals`) as Prometheus text."""
    return "\n".join(_gauges(stats) + _history(totals)) + "\n"


def metrics_text(connection: redis.Redis, queues: Sequence[str] | None = None) -> str:
    """The Prometheus text of ``queues`` (default: every known queue) on one Redis:
    what a standalone exporter serves."""
    stats = collect(connection, list(queues) if queues else None)
    return prometheus_text(stats, history.read_totals(connection, list(stats["queues"])))
