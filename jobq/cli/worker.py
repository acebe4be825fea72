"""``jobq worker``."""

from __future__ import annotations

import logging
import os
import sys

import click

from .. import defaults, sentry
from ..exceptions import DuplicateWorkerName
from ..worker import SimpleWorker, Worker
from .base import Context, Seconds, main, url_option


def add_import_paths(paths: tuple[str, ...]) -> None:
    """Put ``paths`` first on ``sys.path``, in the order given, as rq's worker does (a
    console script, unlike ``python -m``, does not have the current directory there)."""
    for path in reversed(paths):
        absolute = os.path.abspath(path)
        if absolute not in sys.path[:1]:
            sys.path.insert(0, absolute)


def configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")


@main.command()
@click.argument("queues", nargs=-1)
@url_option
@click.option("--burst", "-b", is_flag=True, help="Exit when the queues are empty.")
@click.option(
    "--concurrency",
    "-c",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Executor children.",
)
@click.option(
    "--max-jobs-per-child",
    type=click.IntRange(min=1),
    help="Replace a child after N jobs (1 = a fresh process per job, as rq's forking worker).",
)
@click.option("--max-jobs", type=click.IntRange(min=1), help="Stop after N jobs in all.")
@click.option("--name", "-n", help="Worker name (default host.pid.random).")
@click.option(
    "--with-scheduler",
    "-s",
    is_flag=True,
    help="Also run the scheduler (recurring schedules, due jobs).",
)
@click.option("--allow", multiple=True, help="Only run functions from these modules (repeatable).")
@click.option(
    "--lease",
    default=defaults.LEASE_SECONDS,
    show_default=True,
    type=Seconds(min=0.5),
    help="Seconds before a silent worker's jobs go to others.",
)
@click.option(
    "--serializer",
    type=click.Choice(["json", "pickle"]),
    help="Serializer for results of jobs (default: the job's own).",
)
@click.option("--simple", is_flag=True, help="Run jobs in this process (rq's SimpleWorker).")
@click.option(
    "--path",
    "-P",
    "paths",
    multiple=True,
    default=["."],
    show_default=True,
    help="Directory put first on the import path, where job modules are found (repeatable; "
    "rq's --path).",
)
@click.option(
    "--sentry-dsn",
    envvar="SENTRY_DSN",
    help="Report failed jobs to Sentry (needs jobq[sentry]); env SENTRY_DSN.",
)
@click.option(
    "--history/--no-history",
    default=True,
    show_default=True,
    help="Record what jobs do in the queues' history (charts, jobq info, Prometheus).",
)
@click.option("--verbose", "-v", is_flag=True)
@click.option("--quiet", "-q", is_flag=True)
@click.pass_obj
def worker(
    ctx: Context,
    queues: tuple[str, ...],
    url: str | None,
    burst: bool,
    concurrency: int,
    max_jobs_per_child: int | None,
    max_jobs: int | None,
    name: str | None,
    with_scheduler: bool,
    allow: tuple[str, ...],
    lease: float,
    serializer: str | None,
    simple: bool,
    paths: tuple[str, ...],
    sentry_dsn: str | None,
    history: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Run jobs from QUEUES (default: "default"), in strict priority order."""
    add_import_paths(paths)
    if url:
        ctx.url = url
    configure_logging(verbose, quiet)
    allowed = list(allow) or None
    hooks = []
    if sentry_dsn:
        try:
            hooks.append(sentry.init(sentry_dsn))
        except RuntimeError as e:
            raise click.UsageError(str(e)) from e
    connection = ctx.connection_once_up(wait=not burst)
    w: SimpleWorker | Worker
    if simple:
        w = SimpleWorker(
            list(queues), connection, name, lease_seconds=lease, allowed_modules=allowed,
            serializer=serializer, hooks=hooks, history=history,
        )  # fmt: skip
    else:
        w = Worker(
            list(queues), connection, name, concurrency=concurrency,
            max_jobs_per_child=max_jobs_per_child, lease_seconds=lease, allowed_modules=allowed,
            serializer=serializer, hooks=hooks, history=history,
        )  # fmt: skip
    try:
        w.work(burst=burst, max_jobs=max_jobs, with_scheduler=with_scheduler)
    except DuplicateWorkerName as e:
        raise click.ClickException(str(e)) from e
