"""``jobq info``: queues with their counts per registry, rates and p95 times from
the history, and workers; ``--interval`` redraws it in place, like ``top``."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import click
import redis

from .. import flow, history, keys
from ..connection import text
from ..registry import all_counts
from ..worker.maintenance import describe_workers
from .base import Context, Seconds, main

COLUMNS = ("queued", "scheduled", "started", "deferred", "finished", "failed", "canceled")


def collect(connection: redis.Redis, only: list[str] | None = None) -> dict[str, Any]:
    names = only or sorted(text(n) for n in connection.smembers(keys.QUEUES))
    return {
        "queues": all_counts(connection, names),
        "workers": describe_workers(connection),
        "suspended": bool(connection.exists(keys.SUSPENDED)),
        "scheduler": scheduler_state(connection, names),
        "flow": flow_states(connection, names),
    }


def flow_states(connection: redis.Redis, names: list[str]) -> dict[str, dict[str, Any]]:
    """Limits and what they hold back, for the queues where flow control was used."""
    pipe = connection.pipeline(transaction=False)
    for name in names:
        pipe.exists(keys.queue_keys(name).flow)
    used = [n for n, found in zip(names, pipe.execute(), strict=True) if found]
    return {n: flow.flow_state(connection, keys.queue_keys(n)).as_dict() for n in used}


def render_flow(states: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["", "flow control:"] if states else []
    for name, st in states.items():
        held = [f"{what} {n}" for what, n in (("rate", st["held_by_rate"]),
                ("concurrency", st["held_by_concurrency"])) if n]  # fmt: skip
        held += [f"key {k} {n}" for k, n in st["held_by_key"].items() if n]
        lines.append(
            f"  {name}: limits {st['limits']}; held back: {', '.join(held) or 'none'}; "
            f"unique keys held {st['unique_keys']}; waiting by priority {st['prioritized']}"
        )
    return lines


def scheduler_state(connection: redis.Redis, names: list[str]) -> dict[str, Any]:
    """Who holds the scheduler lock (the active scheduler) and, per queue, what is
    due first: a recurring schedule or a scheduled job (two ZRANGE 0 0, never a scan)."""
    pipe = connection.pipeline(transaction=False)
    pipe.get(keys.SCHEDULER_LOCK)
    for name in names:
        k = keys.QueueKeys(name)
        pipe.zrange(k.schedule_due, 0, 0, withscores=True)
        pipe.zrange(k.scheduled, 0, 0, withscores=True)
    replies = pipe.execute()
    holder = replies[0]
    next_due: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(names):
        firsts = [
            (int(score), kind, text(member))
            for kind, rows in (("schedule", replies[1 + 2 * i]), ("job", replies[2 + 2 * i]))
            for member, score in rows
        ]
        if firsts:
            at, kind, ident = min(firsts)
            next_due[name] = {"kind": kind, "id": ident, "at": at}
    return {"lock_holder": None if holder is None else text(holder), "next_due": next_due}


def _seconds(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v * 1000:.1f}ms" if v < 1 else f"{v:.2f}s"


def _history_columns(stats: dict[str, Any], name: str) -> str:
    """Rates over the last minute and p95 times of a queue, when ``stats`` has history."""
    h = stats.get("history")
    if not h or name not in h["queues"]:
        return ""
    series = h["queues"][name]
    rates = history.rates(series, h["step"])
    summary = series["summary"]
    return (
        f" {rates['finished']:>8.1f}/s {rates['failed']:>7.1f}/s"
        f" {_seconds(summary['run']['p95']):>9} {_seconds(summary['wait']['p95']):>9}"
    )


def render(stats: dict[str, Any]) -> str:
    width = max([5, *(len(n) for n in stats["queues"])])
    header = f"{'queue':<{width}} " + " ".join(f"{c:>9}" for c in COLUMNS)
    if stats.get("history"):
        header += f" {'done':>10} {'failed':>9} {'run p95':>9} {'wait p95':>9}"
    lines = [header]
    for name, row in stats["queues"].items():
        lines.append(
            f"{name:<{width}} "
            + " ".join(f"{row[c]:>9}" for c in COLUMNS)
            + _history_columns(stats, name)
        )
    lines.append("")
    lines.append(
        f"{len(stats['workers'])} worker(s)" + (" (suspended)" if stats["suspended"] else "")
    )
    for w in stats["workers"]:
        state = w["state"] if w["alive"] else f"dead (silent {w['silent_seconds']} s)"
        lines.append(
            f"  {w['name']}  {state}  queues={w['queues']}  ok={w['successful']} failed={w['failed']}"
        )
    lines += render_flow(stats.get("flow", {}))
    return "\n".join(lines)


#: clear the screen and put the cursor home: each redraw replaces the last, like top
CLEAR = "\x1b[H\x1b[2J"


def watch(
    read: Callable[[], dict[str, Any]],
    interval: float | None,
    write: Callable[[str], None],
    dump: Callable[[dict[str, Any]], str] | None = None,
    *,
    tty: bool = False,
) -> None:
    """Write ``read()`` once, or every ``interval`` seconds until Ctrl+C: rendered (on
    a terminal, ``tty``, each view replaces the last), or as ``dump`` makes it (JSON,
    one document per line when live, for scripts). Shared by ``jobq info`` and
    ``manage.py rqstats``."""
    top = CLEAR if interval and tty else ""
    try:
        while True:
            stats = read()
            if dump is not None:
                write(dump(stats))
            else:
                write(top + render(stats) + ("\n" if interval and not tty else ""))
            if interval is None:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        return  # Ctrl+C ends a live view: no traceback, exit status 0


def json_dump(interval: float | None) -> Callable[[dict[str, Any]], str]:
    """Indented once; one line per document when live."""
    return lambda stats: json.dumps(stats, indent=None if interval else 2)


@main.command()
@click.argument("queues", nargs=-1)
@click.option("--interval", "-i", type=Seconds(min=0.1), help="Refresh every N seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def info(ctx: Context, queues: tuple[str, ...], interval: float | None, as_json: bool) -> None:
    """Show queues (counts per registry, rates and p95 over the last minute) and workers."""

    def read() -> dict[str, Any]:
        stats = collect(ctx.connection, list(queues) or None)
        stats["history"] = history.read_history(ctx.connection, list(stats["queues"]), "minute")
        return stats

    tty = sys.stdout.isatty()
    watch(
        read,
        interval,
        lambda text: click.echo(text, color=tty),
        json_dump(interval) if as_json else None,
        tty=tty,
    )
