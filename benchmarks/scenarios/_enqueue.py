"""What the two enqueue cases share: timed runs, a check, a counted run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..common import CommandCounter, alternate, median, reset, row, sizes, timed
from ..systems import SYSTEMS, System

Send = Callable[[System, Any, int], None]
WARM_UP = 200


def _fresh_queue(url: str, system: System, send: Send) -> tuple[Any, Any]:
    """A client and queue on an empty server, after a warm-up (scripts loaded,
    server version known, code paths imported)."""
    reset(url)
    conn = system.client(url)
    send(system, system.queue(conn), WARM_UP)
    reset(url)
    return conn, system.queue(conn)


def _rate(url: str, system: System, n: int, send: Send) -> float:
    conn, q = _fresh_queue(url, system, send)
    seconds = timed(lambda: send(system, q, n))
    queued = system.counts(conn)["queued"]
    conn.close()
    if queued != n:
        raise RuntimeError(f"{system.name}: {queued} jobs queued after enqueueing {n}")
    return n / seconds


def _commands(url: str, system: System, n: int, send: Send) -> dict[str, Any]:
    conn, q = _fresh_queue(url, system, send)
    with CommandCounter(url) as counter:
        send(system, q, n)
    conn.close()
    return counter.per_job(n)


def measure(
    url: str, quick: bool, *, scenario: str, case: str, n: int, send: Send, goal: str
) -> dict[str, Any]:
    s = sizes(quick)
    rates: dict[str, list[float]] = {"jobq": [], "rq": []}
    for order in alternate(s.repeats):
        for name in order:
            rates[name].append(_rate(url, SYSTEMS[name], n, send))
    count_n = min(n, s.count_jobs)
    counts = {name: _commands(url, SYSTEMS[name], count_n, send) for name in ("jobq", "rq")}
    j, r = counts["jobq"], counts["rq"]
    return {
        "scenario": scenario,
        "rows": [
            row(
                case,
                f"jobs/s (N={n}, median of {s.repeats})",
                median(rates["jobq"]),
                median(rates["rq"]),
                goal=goal,
            ),
            row(
                case,
                "Redis commands/job, top-level",
                j["top_level_per_job"],
                r["top_level_per_job"],
            ),
            row(
                case,
                "Redis commands/job, incl. inside Lua",
                j["commandstats_total_per_job"],
                r["commandstats_total_per_job"],
            ),
        ],
        "details": {"jobs": n, "rates": rates, "commands": counts},
    }
