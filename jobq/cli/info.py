"""``jobq info``: queues with their counts per registry, and workers."""

from __future__ import annotations

import json
import time
from typing import Any

import click
import redis

from .. import flow, keys
from ..connection import text
from ..registry import all_counts
from ..worker.maintenance import describe_workers
from . import Context, Seconds, main

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


def render(stats: dict[str, Any]) -> str:
    width = max([5, *(len(n) for n in stats["queues"])])
    lines = [f"{'queue':<{width}} " + " ".join(f"{c:>9}" for c in COLUMNS)]
    for name, row in stats["queues"].items():
        lines.append(f"{name:<{width}} " + " ".join(f"{row[c]:>9}" for c in COLUMNS))
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


@main.command()
@click.argument("queues", nargs=-1)
@click.option("--interval", "-i", type=Seconds(min=0.1), help="Refresh every N seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def info(ctx: Context, queues: tuple[str, ...], interval: float | None, as_json: bool) -> None:
    """Show queues (counts per registry) and workers."""
    while True:
        stats = collect(ctx.connection, list(queues) or None)
        click.echo(json.dumps(stats, indent=2) if as_json else render(stats))
        if interval is None:
            return
        time.sleep(interval)
        if not as_json:
            click.clear()
