"""Statistics of the configured queues, shared by the admin dashboard, the stats
JSON and Prometheus views and ``manage.py rqstats --json`` (one shape everywhere).
The Prometheus text is rendered by :func:`jobq.metrics.prometheus_text`, which
``jobq metrics`` serves too.

Queues on one Redis are read in one pipelined round trip (``jobq.cli.info.collect``);
queues on several Redis servers are merged.
"""

from __future__ import annotations

from typing import Any

from jobq.cli.info import collect

from . import conf
from .queues import get_connection


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
