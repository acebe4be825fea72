"""``jobq scheduler``: fire recurring schedules and queue due jobs, in its own process."""

from __future__ import annotations

import click

from .. import defaults
from ..scheduler.tick import Ticker
from .base import Context, Seconds, main, url_option
from .worker import configure_logging


@main.command()
@url_option
@click.option(
    "--interval",
    "-i",
    default=defaults.SCHEDULER_INTERVAL,
    show_default=True,
    type=Seconds(min=0.01),
    help="Tick in seconds: how often the scheduler looks around when nothing is due sooner.",
)
@click.option("--burst", "-b", is_flag=True, help="Fire what is due now, then exit.")
@click.option("--verbose", "-v", is_flag=True)
@click.option("--quiet", "-q", is_flag=True)
@click.pass_obj
def scheduler(
    ctx: Context, url: str | None, interval: float, burst: bool, verbose: bool, quiet: bool
) -> None:
    """Run the scheduler. Several may run: one holds the lock and fires, the others
    stand by and take over within seconds if it dies."""
    if url:
        ctx.url = url
    configure_logging(verbose, quiet)
    Ticker(ctx.connection_once_up(wait=not burst), interval=interval).run(burst=burst)
