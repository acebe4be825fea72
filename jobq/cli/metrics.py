"""``jobq metrics``: the Prometheus exporter for deployments without Django."""

from __future__ import annotations

import errno
import signal
import threading
from typing import Any

import click

from ..keys import queue_keys
from ..metrics import MetricsServer, with_totals
from .base import Context, main, url_option
from .info import collect
from .worker import configure_logging


@main.command()
@click.argument("queues", nargs=-1)
@url_option
@click.option(
    "--port",
    "-p",
    default=9121,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to serve /metrics on.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface, for a Prometheus on another host).",
)
@click.option("--verbose", "-v", is_flag=True)
@click.option("--quiet", "-q", is_flag=True)
@click.pass_obj
def metrics(
    ctx: Context,
    queues: tuple[str, ...],
    url: str | None,
    port: int,
    host: str,
    verbose: bool,
    quiet: bool,
) -> None:
    """Serve the statistics of QUEUES (default: every known queue) as Prometheus text
    at http://HOST:PORT/metrics, read from Redis at each scrape, until stopped."""
    if url:
        ctx.url = url
    configure_logging(verbose, quiet)
    names = [queue_keys(q).name for q in queues] or None  # a bad name: one line, now
    connection = ctx.connection  # a bad URL too; Redis itself may come up later
    try:
        server = MetricsServer(
            lambda: with_totals(connection, collect(connection, names)), host, port
        )
    except OSError as e:
        busy = " (another exporter? pass --port)" if e.errno == errno.EADDRINUSE else ""
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror}{busy}") from e
    stop = threading.Event()

    def on_term(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    bound_host, bound_port = server.address
    click.echo(f"serving Prometheus metrics at http://{bound_host}:{bound_port}/metrics")
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
