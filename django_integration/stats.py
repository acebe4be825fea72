"""Statistics of the configured queues, shared by the admin dashboard, the stats
JSON and Prometheus views and ``manage.py rqstats --json`` (one shape everywhere).
The Prometheus text is rendered by :func:`jobq.metrics.prometheus_text`, which
``jobq metrics`` serves too.

Queues on one Redis are read in one pipelined round trip (``jobq.cli.info.collect``,
``jobq.history``); queues on several Redis servers are merged.
"""

from __future__ import annotations

from typing import Any

from jobq import history
from jobq.cli.info import collect
from jobq.metrics import TOTALS, prometheus_text

from . import conf
from .queues import get_connection


def _by_connection() -> list[list[str]]:
    """The configured queue names, grouped by the Redis they live on."""
    groups: dict[str, list[str]] = {}
    for name, config in conf.queues().items():
        groups.setdefault(config.connection.cache_key, []).append(name)
    return list(groups.values())


def statistics(window: str | None = None) -> dict[str, Any]:
    """Counts for every configured queue, workers and schedulers; with ``window``
    ("minute", "hour", "day") also ``history``, the series of :func:`jobq.history.
    read_history`. One round trip per Redis for each."""
    merged: dict[str, Any] = {
        "queues": {},
        "workers": [],
        "suspended": False,
        "scheduler": {"lock_holder": None, "next_due": {}},
        "flow": {},
    }
    groups = _by_connection()
    for names in groups:
        stats = collect(get_connection(names[0]), names)
        merged["queues"].update(stats["queues"])
        merged["workers"].extend(stats["workers"])
        merged["suspended"] = merged["suspended"] or stats["suspended"]
        merged["scheduler"]["lock_holder"] = (
            merged["scheduler"]["lock_holder"] or stats["scheduler"]["lock_holder"]
        )
        merged["scheduler"]["next_due"].update(stats["scheduler"]["next_due"])
        merged["flow"].update(stats["flow"])
    if window is not None:
        merged["history"] = _history(groups, window)
    return merged


def _history(groups: list[list[str]], window: str) -> dict[str, Any]:
    now = history.now_ms()
    merged: dict[str, Any] | None = None
    for names in groups:
        part = history.read_history(get_connection(names[0]), names, window, now_ms=now)
        if merged is None:
            merged = part
            continue
        merged["queues"].update(part["queues"])
        merged["functions"] += part["functions"]
        # workers of different servers are different workers
        merged["workers"] = [a + b for a, b in zip(merged["workers"], part["workers"], strict=True)]
    if merged is None:  # no queue configured
        merged = history.read_history(get_connection(), [], window, now_ms=now)
    return merged


def metrics() -> str:
    """The Prometheus text of every configured queue, with the history's totals."""
    totals: dict[str, history.Bucket] = {}
    for names in _by_connection():
        totals.update(history.read_totals(get_connection(names[0]), names))
    return prometheus_text({**statistics(), TOTALS: totals})
