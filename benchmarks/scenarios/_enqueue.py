"""What the two enqueue cases share: timed runs, a check, a counted run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..common import CommandCounter, alternate, median, reset, row, sizes, timed
from ..peers import PEERS, installed
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


def _system(name: str) -> System:
    return SYSTEMS[name] if name in SYSTEMS else PEERS[name]


def measure(
    url: str,
    quick: bool,
    *,
    scenario: str,
    case: str,
    n: int,
    send: Send,
    goal: str,
    peers: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """jobq and rq, and each of ``peers`` (name → goal of jobq's ratio to it) that
    the bench virtualenv has, in one run."""
    s = sizes(quick)
    peers = peers or {}
    present = tuple(p for p in peers if installed(p))
    names = ("jobq", "rq", *present)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for order in alternate(s.repeats, names):
        for name in order:
            rates[name].append(_rate(url, _system(name), n, send))
    count_n = min(n, s.count_jobs)
    counts = {name: _commands(url, _system(name), count_n, send) for name in names}
    metric = f"jobs/s (N={n}, median of {s.repeats})"
    rows = [
        row(
            case,
            metric,
            median(rates["jobq"]),
            median(rates[name]),
            goal=peers.get(name, goal),
            peer=name,
        )
        for name in names[1:]
    ]
    for name in names[1:]:
        c = counts[name]
        rows.append(
            row(
                case,
                "Redis commands/job, top-level",
                counts["jobq"]["top_level_per_job"],
                c["top_level_per_job"],
                peer=name,
            )
        )
        rows.append(
            row(
                case,
                "Redis commands/job, incl. inside Lua",
                counts["jobq"]["commandstats_total_per_job"],
                c["commandstats_total_per_job"],
                peer=name,
            )
        )
    notes = [
        f"{case}: {p} is not installed here (make bench installs it)"
        for p in peers
        if p not in present
    ]
    return {
        "scenario": scenario,
        "rows": rows,
        "details": {"jobs": n, "rates": rates, "commands": counts},
        "notes": notes,
    }
