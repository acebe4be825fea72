"""``jobq info``: queues with their counts per registry, and workers."""

from __future__ import annotations

import json
import time
from typing import Any

import click
import redis

from .. import keys
from ..connection import text
from ..registry import all_counts
from ..worker.maintenance import list_workers
from . import Context, main

COLUMNS = ("queued", "scheduled", "started", "deferred", "finished", "failed", "canceled")


def collect(connection: redis.Redis, only: list[str] | None = None) -> dict[str, Any]:
    names = only or sorted(text(n) for n in connection.smembers(keys.QUEUES))
    return {
        "queues": all_counts(connection, names),
        "workers": list_workers(connection),
        "suspended": bool(connection.exists(keys.SUSPENDED)),
    }


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
        lines.append(
            f"  {w['name']}  {w['state']}  queues={w['queues']}  ok={w['successful']} failed={w['failed']}"
        )
    return "\n".join(lines)


@main.command()
@click.argument("queues", nargs=-1)
@click.option("--interval", "-i", type=click.FloatRange(min=0.1), help="Refresh every N seconds.")
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
