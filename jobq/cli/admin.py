"""``jobq enqueue / requeue / empty / suspend / resume``."""

from __future__ import annotations

import json
from typing import Any

import click

from .. import keys
from ..exceptions import JobqError
from ..queue import Queue
from .base import Context, Seconds, main


def _json_arg(value: str | None, kind: type, label: str) -> Any:
    if value is None:
        return kind()
    try:
        parsed = json.loads(value)
    except ValueError as e:
        raise click.BadParameter(f"not valid JSON: {e}", param_hint=label) from e
    if not isinstance(parsed, kind):
        raise click.BadParameter(
            f"must be a JSON {'array' if kind is list else 'object'}", param_hint=label
        )
    return parsed


@main.command()
@click.argument("function")
@click.option(
    "--args", "args_json", help="Positional arguments as a JSON array, e.g. '[1, \"a\"]'."
)
@click.option("--kwargs", "kwargs_json", help="Keyword arguments as a JSON object.")
@click.option("--queue", "-q", default="default", show_default=True)
@click.option("--timeout", type=Seconds())
@click.pass_obj
def enqueue(
    ctx: Context,
    function: str,
    args_json: str | None,
    kwargs_json: str | None,
    queue: str,
    timeout: float | None,
) -> None:
    """Enqueue FUNCTION (a dotted path) and print the job id."""
    args = _json_arg(args_json, list, "--args")
    kwargs = _json_arg(kwargs_json, dict, "--kwargs")
    try:
        job = Queue(queue, ctx.connection).enqueue_call(
            function, args=args, kwargs=kwargs, timeout=timeout
        )
    except (ValueError, TypeError, JobqError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(job.id)


@main.command()
@click.argument("job_ids", nargs=-1)
@click.option("--all", "-a", "all_", is_flag=True, help="Requeue every failed job.")
@click.option("--queue", "-q", "queues", multiple=True, help="Queue(s) to look in (default: all).")
@click.pass_obj
def requeue(ctx: Context, job_ids: tuple[str, ...], all_: bool, queues: tuple[str, ...]) -> None:
    """Requeue failed jobs: the given ids, or --all."""
    if not job_ids and not all_:
        raise click.UsageError("give job ids or --all")
    qs = [Queue(n, ctx.connection) for n in queues] if queues else Queue.all(ctx.connection)
    total = 0
    for q in qs:
        registry = q.failed_job_registry
        if all_:
            total += registry.requeue_all()
            continue
        for job_id in job_ids:
            if job_id in registry:
                registry.requeue(job_id)
                total += 1
    click.echo(f"requeued {total} job(s)")


@main.command()
@click.argument("queues", nargs=-1, required=True)
@click.pass_obj
def empty(ctx: Context, queues: tuple[str, ...]) -> None:
    """Delete every queued job of QUEUES."""
    for name in queues:
        n = Queue(name, ctx.connection).empty()
        click.echo(f"{name}: {n} job(s) removed")


@main.command()
@click.option(
    "--duration", type=click.IntRange(min=1), help="Seconds; resume by itself afterwards."
)
@click.pass_obj
def suspend(ctx: Context, duration: int | None) -> None:
    """Stop all workers from taking new jobs (running ones finish)."""
    ctx.connection.set(keys.SUSPENDED, "1", ex=duration)
    click.echo("workers suspended" + (f" for {duration} s" if duration else ""))


@main.command()
@click.pass_obj
def resume(ctx: Context) -> None:
    """Let suspended workers take jobs again."""
    ctx.connection.delete(keys.SUSPENDED)
    click.echo("workers resumed")
