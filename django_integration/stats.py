"""Statistics of the configured queues, shared by the admin dashboard, the stats
JSON and Prometheus views and ``manage.py rqstats --json`` (one shape everywhere).
The Prometheus text is rendered by :func:`jobq.metrics.prometheus_text`, which
``jobq metrics`` serves too.

Queues on one Redis are read in one pipelined round trip (``jobq.cli.info.collect``,
``jobq.history``); queues on several Redis servers are merged. A Redis that cannot be
reached (down, a Sentinel with no master) leaves its queues out of the counts and
names them under ``unreachable`` with the error: one dead server must not hide the
others' queues from the dashboard or from a scrape.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import redis

from jobq import history
from jobq.cli.info import collect
from jobq.metrics import TOTALS, prometheus_text

from . import conf
from .queues import get_connection
from .rq_metrics import rq_text

T = TypeVar("T")

#: what an unreachable server raises (MasterNotFoundError and AuthenticationError
#: are ConnectionErrors; OSError: a socket refused before redis-py wraps it)
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


#: seconds a server that could not be reached is left alone before it is tried again:
#: each try waits out the client's retries (seconds), and the dashboard reads every second
RETRY_UNREACHABLE_SECONDS = 10.0


def error_text(e: BaseException) -> str:
    """How a page names an error it shows in place of what could not be read."""
    return f"{type(e).__name__}: {e}"


def reach(server: str, read: Callable[[], T]) -> tuple[T | None, str]:
    """``read()`` of the Redis ``server`` (a connection's ``cache_key``), or None and the
    error when it cannot be reached; a server that could not be is left alone for
    :data:`RETRY_UNREACHABLE_SECONDS` (every page that reads Redis asks here)."""
    down: dict[str, tuple[float, str]] = conf.memo().setdefault("unreachable", {})
    until, error = down.get(server, (0.0, ""))
    if time.monotonic() >= until:
        try:
            return read(), ""
        except UNREACHABLE as e:
            error = error_text(e)
            down[server] = (time.monotonic() + RETRY_UNREACHABLE_SECONDS, error)
    return None, error


def _reach(
    names: list[str],
    read: Callable[[redis.Redis, list[str]], T],
    unreachable: dict[str, str],
) -> T | None:
    """``read`` of the Redis of ``names``, or None with each name's error in ``unreachable``."""
    server = conf.queue(names[0]).connection.cache_key
    found, error = reach(server, lambda: read(get_connection(names[0]), names))
    if found is None:
        for name in names:
            unreachable[name] = error
    return found


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
        "unreachable": {},
    }
    groups: list[list[str]] = []
    for names in _by_connection():
        stats = _reach(names, collect, merged["unreachable"])
        if stats is None:
            continue
        groups.append(names)
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
        part = _reach(names, partial(history.read_history, window=window, now_ms=now), {})
        if part is None:
            continue
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
    """The Prometheus text of every configured queue, with the history's totals, then
    django-rq's families (:mod:`.rq_metrics`)."""
    stats = statistics()
    totals: dict[str, history.Bucket] = {}
    for names in _by_connection():
        if names[0] not in stats["unreachable"]:
            totals.update(_reach(names, history.read_totals, {}) or {})
    return prometheus_text({**stats, TOTALS: totals}) + rq_text(stats)
