"""``jobq limits QUEUE``: show or set a queue's rate and concurrency limits."""

from __future__ import annotations

import click

from .. import flow
from ..queue import Queue
from .base import Context, main


@main.command()
@click.argument("queue")
@click.option("--rate", help="Job starts per unit, every worker together: 20/s, 100/m, 1000/h.")
@click.option(
    "--burst", type=click.IntRange(1, flow.MAX_LIMIT), help="Starts an idle queue may make at once."
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, flow.MAX_LIMIT),
    help="Jobs of this queue running at once, on all workers.",
)
@click.option("--clear", is_flag=True, help="Remove every limit (before setting any given).")
@click.pass_obj
def limits(
    ctx: Context,
    queue: str,
    rate: str | None,
    burst: int | None,
    concurrency: int | None,
    clear: bool,
) -> None:
    """Show QUEUE's limits and what they hold back; with options, change them first."""
    q = Queue(queue, ctx.connection)
    if rate is not None or burst is not None or concurrency is not None or clear:
        try:
            q.set_limits(rate=rate, burst=burst, concurrency=concurrency, clear=clear)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--rate") from e
    state = q.flow_state()
    click.echo(f"{queue}: limits {state.limits.describe()}")
    click.echo(
        f"held back now: rate {state.held_by_rate}, concurrency {state.held_by_concurrency}, "
        + (", ".join(f"key {k} {n}" for k, n in state.held_by_key.items()) or "no key")
    )
    click.echo(f"unique keys held {state.unique_keys}; waiting by priority {state.prioritized}")
